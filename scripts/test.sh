#!/usr/bin/env bash
# Runs everything CI runs: restore, build with warnings as errors, format check, and the whole test suite.
# The tests start their own Azurite (in memory, 127.0.0.1, telemetry off) and stop it when they end.
# About 4 minutes on 2 cores once NuGet packages are cached (the first restore adds a few more); each step prints
# a line when it starts and when it ends, with its time. Arguments go to `dotnet test` (e.g. --filter "FullyQualifiedName~Catalog").
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '\n==> %s\n' "$*"; }
# step "what" "how long it usually takes" command...: a line before, and one after with the time it took.
step() {
  local what=$1 usual=$2 began=$SECONDS
  shift 2
  log "$what ($usual)"
  "$@"
  printf '==> %s: done in %d s\n' "$what" "$((SECONDS - began))"
}
results=$(mktemp -d)
# Every Azurite this run's tests start writes its process id here; the tests stop their own, and this stops what a
# crashed test host left behind. Only those ids: other runs on this machine are left alone.
export FLEXFUNCTIONS_TEST_PIDS="$results/started.pids"
cleanup() {
  [ -f "$FLEXFUNCTIONS_TEST_PIDS" ] || return 0
  while read -r pid; do
    # Still running and still an Azurite (a stopped test's id may have been reused by another program)?
    command=$(ps -o command= -p "$pid" 2>/dev/null) || continue # already stopped by its test
    case "$command" in *azurite*) kill "$pid" 2>/dev/null || true ;; esac
  done < "$FLEXFUNCTIONS_TEST_PIDS"
}
trap cleanup EXIT

began=$SECONDS
step "npm ci: Azurite for the tests" "40-80 s the first time, seconds after" npm ci --no-audit --no-fund --loglevel=error
step "dotnet restore" "a minute or more the first time" dotnet restore FlexFunctions.sln
step "dotnet build, warnings are errors" "about a minute" dotnet build FlexFunctions.sln --no-restore -c Release
step "dotnet format --verify-no-changes" "about a minute" dotnet format FlexFunctions.sln --verify-no-changes --no-restore

log "dotnet test (about 2 minutes)"
set +e
dotnet test FlexFunctions.sln --no-build -c Release --results-directory "$results" "$@" 2>&1 | tee "$results/console.txt"
status=${PIPESTATUS[0]}
set -e

# One plain summary line over every test assembly (from the runner's own per-assembly lines; no other tools).
grep -E '^(Passed|Failed)! +- Failed: ' "$results/console.txt" | awk -F'[:,]' '
  { failed += $2; passed += $4; skipped += $6 }
  END { printf "tests: %d passed, %d failed, %d skipped\n", passed, failed, skipped }' || true
printf '==> test.sh took %d s\n' "$((SECONDS - began))"
exit "$status"
