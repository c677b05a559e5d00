#!/usr/bin/env bash
# Runs the whole app on this machine: Azurite (in memory, 127.0.0.1, telemetry off), the FlexShopper emulator
# (127.0.0.1:5080) and the Functions host (`func start`, Azure Functions Core Tools 4). Creates
# Functions/local.settings.json from the sample when absent, and the queues and tables the settings name.
# Ctrl-C stops everything this script started, by process id; anything it found already running it leaves alone.
#
# Usage: ./scripts/run-local.sh [--no-func]
#   --no-func   start Azurite and the emulator only (no Core Tools needed): call the emulator directly, or run the tests
#
# Environment (all optional):
#   EMULATOR_URL            default http://127.0.0.1:5080 (must be 127.0.0.1)
#   AZURITE_BLOB_PORT/AZURITE_QUEUE_PORT/AZURITE_TABLE_PORT   default 10000/10001/10002
#   FUNCTIONS_PORT          default 7071
#
# Written for bash 3.2 (macOS's /bin/bash) and later: no setsid, no `timeout`, no bash 4 arrays.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

NO_FUNC=0
for arg in "$@"; do
  case "$arg" in
    --no-func) NO_FUNC=1 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) printf 'error: unknown option %s (see --help)\n' "$arg" >&2; exit 2 ;;
  esac
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
EMULATOR_URL=${EMULATOR_URL:-http://127.0.0.1:5080}
BLOB_PORT=${AZURITE_BLOB_PORT:-10000}
QUEUE_PORT=${AZURITE_QUEUE_PORT:-10001}
TABLE_PORT=${AZURITE_TABLE_PORT:-10002}
FUNCTIONS_PORT=${FUNCTIONS_PORT:-7071}
SETTINGS=Functions/local.settings.json
EMULATOR_DLL=Emulator/bin/Debug/net10.0/FlexShopper.Emulator.dll

log() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The process ids this script started, space-separated. Job control (set -m) puts each background job in its own
# process group, so stopping one stops its children too (npx, dotnet and func each start more), and Ctrl-C reaches
# only this script, which then stops them in order.
STARTED=""
set -m
cleanup() {
  trap - EXIT INT TERM
  [ -n "$STARTED" ] || return 0
  for pid in $STARTED; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $STARTED; do wait "$pid" 2>/dev/null || true; done
  log "stopped what this script started (process ids$STARTED); logs kept in ${RUN_DIR:-}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# step "what" "how long it usually takes" command...: one line before, one after with the time it took.
step() {
  local what=$1 usual=$2 began=$SECONDS
  shift 2
  log "$what ($usual)"
  "$@"
  log "$what: done in $((SECONDS - began)) s"
}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for_port() {
  local port=$1 pid=$2 what=$3 log_file=$4 began=$SECONDS
  log "waiting for $what on 127.0.0.1:$port"
  for _ in $(seq 1 300); do
    if listening "$port"; then
      log "$what listens on $port after $((SECONDS - began)) s"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$log_file" >&2 || true; die "$what exited before listening on $port; its log: $log_file"; }
    sleep 0.2
  done
  tail -n 20 "$log_file" >&2 || true
  die "$what did not listen on $port within 60 s; its log: $log_file"
}
start() { # start DIR LOG_FILE command...: in DIR, in the background, own process group, no terminal input; sets LAST_PID
  local dir=$1 log_file=$2
  shift 2
  (cd "$dir" && exec "$@") </dev/null >"$log_file" 2>&1 &
  LAST_PID=$!
  STARTED="$STARTED $LAST_PID"
}

# ---- Prerequisites: all checked before anything starts ----
[ "${BASH_VERSINFO[0]}" -ge 3 ] || die "bash 3.2 or later is required (this is $BASH_VERSION)"
command -v dotnet >/dev/null || die "the .NET 10 SDK is required: see README.md, Prerequisites (https://dotnet.microsoft.com/download)"
dotnet --list-sdks 2>/dev/null | grep '^10\.' >/dev/null || die "the .NET 10 SDK is required (dotnet --list-sdks shows none): see README.md, Prerequisites"
command -v npm >/dev/null || die "Node.js 20+ with npm is required (for Azurite): see README.md, Prerequisites (https://nodejs.org)"
command -v curl >/dev/null || die "curl is required"
case "$EMULATOR_URL" in http://127.0.0.1:*) ;; *) die "EMULATOR_URL must be http://127.0.0.1:<port>" ;; esac
EMULATOR_PORT=${EMULATOR_URL##*:}
if [ "$NO_FUNC" = 0 ]; then
  if ! command -v func >/dev/null || ! func --version >/dev/null 2>&1; then
    cat >&2 <<MSG
error: Azure Functions Core Tools 4 (the 'func' command) are not installed; nothing was started.
Install them (README.md, Prerequisites, has every way), then run this script again:
  macOS:          brew tap azure/functions && brew install azure-functions-core-tools@4
  Ubuntu/Debian:  Microsoft's package repository (packages.microsoft.com), then sudo apt-get install azure-functions-core-tools-4
  Windows:        winget install Microsoft.Azure.FunctionsCoreTools   (or the MSI)
  with npm:       npm i -g azure-functions-core-tools@4   (its installer downloads the build from Microsoft at install time)
Without them, '$0 --no-func' starts Azurite and the emulator alone, and ./scripts/test.sh runs every test.
MSG
    exit 1
  fi
  listening "$FUNCTIONS_PORT" && die "127.0.0.1:$FUNCTIONS_PORT is taken (another 'func start'?): stop it, or set FUNCTIONS_PORT to a free port"
fi
RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/flexfunctions-local-XXXXXX")
log "logs of everything started here: $RUN_DIR"

# ---- Azurite ----
if [ ! -x node_modules/.bin/azurite ]; then
  step "npm ci: installing Azurite into node_modules" "40-80 s the first time" npm ci --no-audit --no-fund --loglevel=error
fi
STORAGE="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:$BLOB_PORT/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$QUEUE_PORT/devstoreaccount1;TableEndpoint=http://127.0.0.1:$TABLE_PORT/devstoreaccount1;"
taken=""
for port in "$BLOB_PORT" "$QUEUE_PORT" "$TABLE_PORT"; do listening "$port" && taken="$taken $port"; done
if [ "$taken" = " $BLOB_PORT $QUEUE_PORT $TABLE_PORT" ]; then
  cat <<MSG
==> a storage emulator already listens on 127.0.0.1:$BLOB_PORT/$QUEUE_PORT/$TABLE_PORT: reusing it.
    This script did not start it and will not stop it. On a shared machine it may be someone else's (their
    queues and tables are then yours too); to run your own, stop it or set AZURITE_BLOB_PORT, AZURITE_QUEUE_PORT
    and AZURITE_TABLE_PORT to free ports (and the Storage/Warehouse connection strings in $SETTINGS to match).
MSG
elif [ -n "$taken" ]; then
  die "127.0.0.1 port(s)$taken of $BLOB_PORT/$QUEUE_PORT/$TABLE_PORT are taken by something else: free them, or set AZURITE_BLOB_PORT/AZURITE_QUEUE_PORT/AZURITE_TABLE_PORT"
else
  mkdir -p "$RUN_DIR/azurite"
  # In memory: no --location; its working folder catches any debug file.
  log "starting Azurite in memory on 127.0.0.1:$BLOB_PORT/$QUEUE_PORT/$TABLE_PORT (log: $RUN_DIR/azurite.log)"
  start "$RUN_DIR/azurite" "$RUN_DIR/azurite.log" "$ROOT/node_modules/.bin/azurite" --inMemoryPersistence --disableTelemetry --skipApiVersionCheck --loose \
    --blobHost 127.0.0.1 --blobPort "$BLOB_PORT" --queueHost 127.0.0.1 --queuePort "$QUEUE_PORT" \
    --tableHost 127.0.0.1 --tablePort "$TABLE_PORT"
  for port in "$BLOB_PORT" "$QUEUE_PORT" "$TABLE_PORT"; do wait_for_port "$port" "$LAST_PID" Azurite "$RUN_DIR/azurite.log"; done
fi

# ---- FlexShopper emulator ----
build_emulator() {
  dotnet build Emulator/FlexShopper.Emulator.csproj -c Debug -v quiet -nologo >"$RUN_DIR/emulator-build.log" 2>&1 \
    || { cat "$RUN_DIR/emulator-build.log" >&2; die "the emulator did not build (log: $RUN_DIR/emulator-build.log)"; }
}
step "building the FlexShopper emulator (restores NuGet packages the first time)" "20-60 s, 2-4 minutes the first time" build_emulator
if listening "$EMULATOR_PORT"; then
  curl -fsS "$EMULATOR_URL/__admin/health" >/dev/null 2>&1 \
    || die "127.0.0.1:$EMULATOR_PORT is taken by something that is not the emulator; set EMULATOR_URL to a free port"
  log "an emulator already answers on $EMULATOR_URL: reusing it (this script did not start it and will not stop it)"
else
  log "starting the FlexShopper emulator on $EMULATOR_URL (log: $RUN_DIR/emulator.log)"
  start "$ROOT" "$RUN_DIR/emulator.log" dotnet "$EMULATOR_DLL" serve --urls "$EMULATOR_URL"
  wait_for_port "$EMULATOR_PORT" "$LAST_PID" "the emulator" "$RUN_DIR/emulator.log"
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
step "creating the queues and tables named in $SETTINGS" "a few seconds" dotnet "$EMULATOR_DLL" init-storage "$SETTINGS" "$STORAGE"

if [ "$NO_FUNC" = 1 ]; then
  cat <<MSG

Running without the Functions host (--no-func):
  emulator  $EMULATOR_URL/v3/   (Authorization: the FlexShopper__ApiKey in $SETTINGS)
  outbox    $EMULATOR_URL/__admin/outbox
  storage   $STORAGE
Press Ctrl-C to stop what this script started.
MSG
  wait
  exit 0
fi

# ---- Functions host ----
log "starting the Functions host: func start --port $FUNCTIONS_PORT in Functions/ (it builds the app first; log: $RUN_DIR/func.log)"
began=$SECONDS
start "$ROOT/Functions" "$RUN_DIR/func.log" func start --port "$FUNCTIONS_PORT"
FUNC_PID=$LAST_PID
# The host prints its own lines and the app's; show them here as they come, and in the log.
tail -n +1 -f "$RUN_DIR/func.log" &
TAIL_PID=$!
STARTED="$STARTED $TAIL_PID"
for _ in $(seq 1 900); do
  curl -fsS "http://127.0.0.1:$FUNCTIONS_PORT/api/v1/health/live" >/dev/null 2>&1 && break
  kill -0 "$FUNC_PID" 2>/dev/null || die "func start exited (its log: $RUN_DIR/func.log)"
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$FUNCTIONS_PORT/api/v1/health/live" >/dev/null 2>&1 || die "the Functions host did not answer within 3 minutes (its log: $RUN_DIR/func.log)"
log "the Functions host answers after $((SECONDS - began)) s"
cat <<MSG

Running. Functions: http://localhost:$FUNCTIONS_PORT/api/   emulator: $EMULATOR_URL/v3/   outbox: $EMULATOR_URL/__admin/outbox
Next: ./scripts/seed-local.sh in another terminal prints the journey to walk (or open scripts/journey.http).
Press Ctrl-C to stop what this script started.
MSG
wait "$FUNC_PID"
