#!/usr/bin/env bash
# Runs the whole app on this machine: Azurite (in memory, 127.0.0.1, telemetry off), the FlexShopper emulator
# (127.0.0.1:5080) and the Functions host (`func start`). Creates Functions/local.settings.json from the sample
# when absent, and the queues and tables the settings name. Ctrl-C stops everything this script started.
#
# Environment (all optional):
#   EMULATOR_URL            default http://127.0.0.1:5080 (must be 127.0.0.1)
#   AZURITE_BLOB_PORT/AZURITE_QUEUE_PORT/AZURITE_TABLE_PORT   default 10000/10001/10002
#   FLEXFUNCTIONS_NO_FUNC_INSTALL=1   do not try `npm i -g azure-functions-core-tools@4` when func is missing
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
EMULATOR_URL=${EMULATOR_URL:-http://127.0.0.1:5080}
BLOB_PORT=${AZURITE_BLOB_PORT:-10000}
QUEUE_PORT=${AZURITE_QUEUE_PORT:-10001}
TABLE_PORT=${AZURITE_TABLE_PORT:-10002}
SETTINGS=Functions/local.settings.json
RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/flexfunctions-local-XXXXXX")
EMULATOR_DLL=Emulator/bin/Debug/net10.0/FlexShopper.Emulator.dll

log() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Each child runs in its own session (setsid), so its whole process tree can be stopped by group id.
started=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${started[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in "${started[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ ${#started[@]} -gt 0 ] && log "stopped everything this script started (logs kept in $RUN_DIR)"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for_port() {
  local port=$1 pid=$2 what=$3
  for _ in $(seq 1 150); do
    listening "$port" && return 0
    kill -0 "$pid" 2>/dev/null || die "$what exited before listening on $port; see $RUN_DIR"
    sleep 0.2
  done
  die "$what did not listen on $port within 30 s; see $RUN_DIR"
}

command -v dotnet >/dev/null || die "the .NET 10 SDK is required: https://dotnet.microsoft.com/download"
command -v npm >/dev/null || die "Node.js 20+ with npm is required (for Azurite): https://nodejs.org"
case "$EMULATOR_URL" in http://127.0.0.1:*) ;; *) die "EMULATOR_URL must be http://127.0.0.1:<port>" ;; esac
EMULATOR_PORT=${EMULATOR_URL##*:}

# ---- Azurite ----
if [ ! -x node_modules/.bin/azurite ]; then
  log "npm ci (Azurite)"
  npm ci --no-audit --no-fund --loglevel=error
fi
STORAGE="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:$BLOB_PORT/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$QUEUE_PORT/devstoreaccount1;TableEndpoint=http://127.0.0.1:$TABLE_PORT/devstoreaccount1;"
if listening "$QUEUE_PORT" && listening "$TABLE_PORT"; then
  log "a storage emulator already listens on 127.0.0.1:$QUEUE_PORT/$TABLE_PORT: using it (not started, not stopped here)"
else
  log "starting Azurite in memory on 127.0.0.1:$BLOB_PORT/$QUEUE_PORT/$TABLE_PORT (log: $RUN_DIR/azurite.log)"
  mkdir -p "$RUN_DIR/azurite"
  # In memory: no --location; its working folder catches any debug file.
  (cd "$RUN_DIR/azurite" && exec setsid "$ROOT/node_modules/.bin/azurite" --inMemoryPersistence --disableTelemetry --skipApiVersionCheck --loose \
    --blobHost 127.0.0.1 --blobPort "$BLOB_PORT" --queueHost 127.0.0.1 --queuePort "$QUEUE_PORT" \
    --tableHost 127.0.0.1 --tablePort "$TABLE_PORT") >"$RUN_DIR/azurite.log" 2>&1 &
  started+=($!)
  for port in "$BLOB_PORT" "$QUEUE_PORT" "$TABLE_PORT"; do wait_for_port "$port" "${started[-1]}" Azurite; done
fi

# ---- FlexShopper emulator ----
log "building the FlexShopper emulator"
dotnet build Emulator/FlexShopper.Emulator.csproj -c Debug -v quiet -nologo >"$RUN_DIR/emulator-build.log" 2>&1 \
  || { cat "$RUN_DIR/emulator-build.log" >&2; die "the emulator did not build"; }
if listening "$EMULATOR_PORT"; then
  curl -fsS "$EMULATOR_URL/__admin/health" >/dev/null 2>&1 \
    || die "127.0.0.1:$EMULATOR_PORT is taken by something that is not the emulator; set EMULATOR_URL to a free port"
  log "an emulator already answers on $EMULATOR_URL: using it"
else
  log "starting the FlexShopper emulator on $EMULATOR_URL (log: $RUN_DIR/emulator.log)"
  setsid dotnet "$EMULATOR_DLL" serve --urls "$EMULATOR_URL" >"$RUN_DIR/emulator.log" 2>&1 &
  started+=($!)
  wait_for_port "$EMULATOR_PORT" "${started[-1]}" "the emulator"
fi

# ---- Settings, queues and tables ----
if [ ! -f "$SETTINGS" ]; then
  cp local.settings.sample.json "$SETTINGS"
  log "created $SETTINGS from local.settings.sample.json"
fi
if [ "$BLOB_PORT$QUEUE_PORT$TABLE_PORT" != "100001000110002" ]; then
  log "note: Azurite is on non-default ports; $SETTINGS must use this connection string instead of UseDevelopmentStorage=true:"
  printf '    %s\n' "$STORAGE"
fi
if ! grep -q "\"FlexShopper__BaseUrl\": \"$EMULATOR_URL/v3/\"" "$SETTINGS"; then
  log "note: FlexShopper__BaseUrl in $SETTINGS is not $EMULATOR_URL/v3/: the app will not call this emulator"
fi
log "creating the queues and tables named in $SETTINGS"
dotnet "$EMULATOR_DLL" init-storage "$SETTINGS" "$STORAGE"

# ---- Functions host ----
if ! command -v func >/dev/null && [ "${FLEXFUNCTIONS_NO_FUNC_INSTALL:-0}" != 1 ]; then
  log "Azure Functions Core Tools (func) not found: trying npm i -g azure-functions-core-tools@4"
  timeout 300 npm i -g azure-functions-core-tools@4 --unsafe-perm true --no-audit --no-fund --loglevel=error \
    >"$RUN_DIR/func-install.log" 2>&1 || log "the npm install failed (see $RUN_DIR/func-install.log)"
  hash -r
fi
if ! command -v func >/dev/null || ! func --version >/dev/null 2>&1; then
  if [ "${FLEXFUNCTIONS_NO_FUNC_INSTALL:-0}" = 1 ]; then
    why="(FLEXFUNCTIONS_NO_FUNC_INSTALL=1: the npm install was not tried)"
  else
    why="and could not be installed with npm here (the npm package's installer downloads the Core Tools build from Microsoft's CDN at install time)"
  fi
  cat <<MSG

Azure Functions Core Tools 4.x are not installed $why.
Install them, then run this script again:
  - Ubuntu/Debian: add Microsoft's package repository (https://learn.microsoft.com/azure/azure-functions/functions-run-local),
                   then: sudo apt-get install azure-functions-core-tools-4
  - macOS:         brew tap azure/functions && brew install azure-functions-core-tools@4
  - Windows:       winget install Microsoft.Azure.FunctionsCoreTools
  - anywhere that can reach the CDN: npm i -g azure-functions-core-tools@4

Meanwhile Azurite and the emulator keep running, so you can use them directly:
  emulator  $EMULATOR_URL/v3/   (Authorization: the FlexShopper__ApiKey in $SETTINGS)
  outbox    $EMULATOR_URL/__admin/outbox
  storage   $STORAGE
Press Ctrl-C to stop them.
MSG
  wait
  exit 0
fi

log "starting the Functions host: func start (in Functions/)"
(cd Functions && exec setsid func start) &
started+=($!)
cat <<MSG

Running. Functions: http://localhost:7071/api/   emulator: $EMULATOR_URL/v3/   outbox: $EMULATOR_URL/__admin/outbox
Next: ./scripts/seed-local.sh in another terminal prints the journey to walk (or open scripts/journey.http).
Press Ctrl-C to stop everything.
MSG
wait
