#!/usr/bin/env bash
# Mutation testing of the money and safety paths with Stryker.NET (a local dotnet tool, .config/dotnet-tools.json).
#   scripts/mutation.sh [Folder...]   one or more of the folders below; none = all six, one after another.
# Each folder is its own Stryker run: only that folder's files are mutated, only the tests that exercise it run
# (a test-case filter), and per-test coverage runs just the tests that reach each mutant. One Azurite, in memory on
# free loopback ports, serves every run (the tests use it instead of starting their own) and is stopped by its pid.
# Reports: artifacts/mutation/<Folder>/reports/mutation-report.html (and .json). Not part of CI: minutes per folder.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# The tests that exercise each folder (dotnet test --filter syntax). A mutant no listed test reaches is reported
# "no coverage" and counts against the score, so a folder's filter must name every test meant to guard it.
declare -A tests=(
  [Confirmations]="FullyQualifiedName~FlexFunctions.Tests.Confirmations."
  [Idempotency]="FullyQualifiedName~FlexFunctions.Tests.Idempotency.|FullyQualifiedName~FlexFunctions.Tests.Http.IdempotencyTests|FullyQualifiedName~FlexFunctions.Tests.Http.OutcomeUnknownTests|FullyQualifiedName~FlexFunctions.Tests.KeyedHashing."
  [Secrets]="FullyQualifiedName~FlexFunctions.Tests.Secrets.|FullyQualifiedName~FlexFunctions.Tests.FlexShopper.KeyHandlingTests|FullyQualifiedName~FlexFunctions.Tests.Http.SessionAndSecretTests|FullyQualifiedName~FlexFunctions.Tests.Http.WebhookSignatureTests|FullyQualifiedName~FlexFunctions.Tests.StorePlatforms.StandardWebhookTests"
  [AbuseLimits]="FullyQualifiedName~FlexFunctions.Tests.AbuseLimits.|FullyQualifiedName~FlexFunctions.Tests.KeyedHashing."
  [CustomerAuth]="FullyQualifiedName~FlexFunctions.Tests.Http.CustomerSessionTests|FullyQualifiedName~FlexFunctions.Tests.Http.SessionAndSecretTests|FullyQualifiedName~FlexFunctions.Tests.Http.SealedKeyRingTests|FullyQualifiedName~FlexFunctions.Tests.Http.JourneyTests|FullyQualifiedName~FlexFunctions.Tests.Http.OutcomeUnknownTests|FullyQualifiedName~FlexFunctions.Tests.AbuseLimits.LoginLimitTests|FullyQualifiedName~FlexFunctions.Tests.KeyedHashing.|FullyQualifiedName~FlexFunctions.Tests.CustomerAuth.|FullyQualifiedName~FlexFunctions.Tests.Http.BadInputTests"
  [Webhooks]="FullyQualifiedName~FlexFunctions.Tests.Http.WebhookSignatureTests|FullyQualifiedName~FlexFunctions.Tests.Http.SessionAndSecretTests|FullyQualifiedName~FlexFunctions.Tests.StorePlatforms.StandardWebhookTests"
)
all=(Confirmations Idempotency Secrets AbuseLimits CustomerAuth Webhooks)
folders=("$@")
[ ${#folders[@]} -gt 0 ] || folders=("${all[@]}")
for folder in "${folders[@]}"; do
  [ -n "${tests[$folder]+set}" ] || { echo "unknown folder '$folder'; one of: ${all[*]}" >&2; exit 2; }
done

[ -x node_modules/.bin/azurite ] || npm ci --no-audit --no-fund --loglevel=error
dotnet tool restore >/dev/null

# Tests that start an Azurite of their own (outage tests) write its pid here; cleanup stops exactly those.
work=$(mktemp -d)
export FLEXFUNCTIONS_TEST_PIDS="$work/started.pids"
azurite_pid=
cleanup() {
  if [ -n "$azurite_pid" ]; then kill "$azurite_pid" 2>/dev/null || true; fi
  if [ -f "$FLEXFUNCTIONS_TEST_PIDS" ]; then
    while read -r pid; do
      command=$(ps -o command= -p "$pid" 2>/dev/null) || continue
      case "$command" in *azurite*) kill "$pid" 2>/dev/null || true ;; esac
    done < "$FLEXFUNCTIONS_TEST_PIDS"
  fi
  rm -rf "$work"
}
trap cleanup EXIT

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    port_free "$port" && { echo "$port"; return; }
  done
}
blob=$(free_port) queue=$(free_port) table=$(free_port)
(cd "$work" && exec "$root/node_modules/.bin/azurite" --inMemoryPersistence --silent --disableTelemetry --skipApiVersionCheck --loose \
  --blobHost 127.0.0.1 --blobPort "$blob" --queueHost 127.0.0.1 --queuePort "$queue" \
  --tableHost 127.0.0.1 --tablePort "$table") >"$work/azurite.log" 2>&1 &
azurite_pid=$!
for port in "$blob" "$queue" "$table"; do
  for _ in $(seq 300); do port_free "$port" || break; sleep 0.1; done
  port_free "$port" && { echo "Azurite did not listen on $port:" >&2; cat "$work/azurite.log" >&2; exit 1; }
done
account=devstoreaccount1
key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
export FLEXFUNCTIONS_TEST_STORAGE="DefaultEndpointsProtocol=http;AccountName=$account;AccountKey=$key;BlobEndpoint=http://127.0.0.1:$blob/$account;QueueEndpoint=http://127.0.0.1:$queue/$account;TableEndpoint=http://127.0.0.1:$table/$account;"

summary=()
for folder in "${folders[@]}"; do
  out="$root/artifacts/mutation/$folder"
  rm -rf "$out"
  began=$SECONDS
  printf '\n==> Stryker: Shared/%s\n' "$folder"
  # The shared machine has 2 cores: one mutant at a time (MUTATION_CONCURRENCY=2 on a quieter machine).
  (cd Tests && dotnet stryker --config-file "$root/Tests/stryker-config.json" \
    --mutate "**/Shared/$folder/**/*.cs" --test-case-filter "${tests[$folder]}" \
    --concurrency "${MUTATION_CONCURRENCY:-1}" --output "$out" --skip-version-check) | tee "$work/$folder.log"
  took=$((SECONDS - began))
  score=$(grep -oE 'final mutation score is [0-9.]+ ?%' "$work/$folder.log" | grep -oE '[0-9.]+ ?%' | tail -1)
  summary+=("$(printf '%-14s %8s  in %4d s  report: artifacts/mutation/%s/reports/mutation-report.html' "$folder" "${score:-?}" "$took" "$folder")")
done

printf '\n==> Mutation score per folder\n'
printf '%s\n' "${summary[@]}"
