#!/usr/bin/env bash
# Runs everything CI runs: restore, build with warnings as errors, format check, and the whole test suite.
# The tests start their own Azurite (in memory, 127.0.0.1, telemetry off) and stop it when they end.
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '\n==> %s\n' "$*"; }
cleanup() {
  # An Azurite the test fixture started (it runs in a flexfunctions-azurite-* folder) and a crashed test
  # host left behind.
  for pid in $(pgrep -f 'azurite' 2>/dev/null); do
    case "$(readlink "/proc/$pid/cwd" 2>/dev/null)" in */flexfunctions-azurite-*) kill "$pid" 2>/dev/null || true ;; esac
  done
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
dotnet test FlexFunctions.sln --no-build -c Release --logger "trx;LogFilePrefix=run" --results-directory "$results" "$@" 2>&1 | tee "$results/console.txt"
status=${PIPESTATUS[0]}
set -e

# One plain summary line over every test assembly.
python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
for path in glob.glob(sys.argv[1] + "/*.trx"):
    c = ET.parse(path).getroot().find("t:ResultSummary/t:Counters", ns)
    passed += int(c.get("passed", 0)); failed += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0))
    skipped += int(c.get("notExecuted", 0))
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
PY
exit "$status"
