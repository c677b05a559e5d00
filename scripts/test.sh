#!/usr/bin/env bash
# Runs everything CI runs: restore, build with warnings as errors, format check, and the whole test suite.
# The tests start their own Azurite (in memory, 127.0.0.1, telemetry off) and stop it when they end.
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '\n==> %s\n' "$*"; }
# The test fixture writes the id of each Azurite it starts here, so a crashed test host's Azurite is stopped by id:
# never another run's (other worktrees' tests run their own Azurite on this machine at the same time).
FLEXFUNCTIONS_AZURITE_PIDS=$(mktemp)
export FLEXFUNCTIONS_AZURITE_PIDS
cleanup() {
  while read -r pid; do
    case "$(readlink "/proc/$pid/cwd" 2>/dev/null)" in */flexfunctions-azurite-*) kill "$pid" 2>/dev/null || true ;; esac
  done < "$FLEXFUNCTIONS_AZURITE_PIDS"
  rm -f "$FLEXFUNCTIONS_AZURITE_PIDS"
}
trap cleanup EXIT

log "npm ci (Azurite)"
npm ci --no-audit --no-fund --loglevel=error

log "dotnet restore"
dotnet restore FlexFunctions.sln

log "dotnet build (warnings are errors)"
dotnet build FlexFunctions.sln --no-restore -c Release

log "dotnet format --verify-no-changes"
dotnet format FlexFunctions.sln --verify-no-changes --no-restore

log "dotnet test"
results=$(mktemp -d)
set +e
dotnet test FlexFunctions.sln --no-build -c Release --results-directory "$results" "$@" 2>&1 | tee "$results/console.txt"
status=${PIPESTATUS[0]}
set -e

# One plain summary line over every test assembly (from the runner's own per-assembly lines; no other tools).
grep -E '^(Passed|Failed)! +- Failed: ' "$results/console.txt" | awk -F'[:,]' '
  { failed += $2; passed += $4; skipped += $6 }
  END { printf "tests: %d passed, %d failed, %d skipped\n", passed, failed, skipped }' || true
exit "$status"
