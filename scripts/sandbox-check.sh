#!/usr/bin/env bash
# Checks, endpoint by endpoint, every assumption the app makes about FlexShopper that no public source confirms
# ([INF] in Shared/FlexShopper/FlexShopperPaths.cs) or that only the docs do, through the app's own client, on test
# data. One line per assumption on standard output: held, refuted (with what FlexShopper answered) or could not
# check. Exits 0 only when nothing was refuted. How to read it: docs/flexshopper-api.md.
#
#   FLEXSHOPPER_API_KEY=<sandbox key> scripts/sandbox-check.sh --base-url https://apis.sandbox.flexshopper.com/v3/ \
#     --ssn <approved test SSN> --kba-ssn <identity-check test SSN> [--help for every option]
#
# The key is read from FLEXSHOPPER_API_KEY only and never printed. The check refuses the production base URL.
# It is a small .NET program (SandboxCheck/), since the .NET SDK is the one tool every machine that builds the app has.
# Environment (all optional): SANDBOX_CHECK_CONFIGURATION (default Release); SANDBOX_CHECK_NO_BUILD=1 runs the
# build output as it is (the tests do, after building it).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

CONFIGURATION=${SANDBOX_CHECK_CONFIGURATION:-Release}
PROJECT="$ROOT/SandboxCheck/FlexFunctions.SandboxCheck.csproj"
DLL="$ROOT/SandboxCheck/bin/$CONFIGURATION/net10.0/FlexFunctions.SandboxCheck.dll"

command -v dotnet >/dev/null || { echo "sandbox-check: the .NET 10 SDK is required" >&2; exit 2; }
if [ "${SANDBOX_CHECK_NO_BUILD:-}" != 1 ]; then
  # Build output goes to standard error: standard output is the report.
  dotnet build "$PROJECT" -c "$CONFIGURATION" -v quiet -nologo >&2 || { echo "sandbox-check: the check did not build" >&2; exit 2; }
fi
[ -f "$DLL" ] || { echo "sandbox-check: $DLL is missing; build SandboxCheck first" >&2; exit 2; }
exec dotnet "$DLL" "$@"
