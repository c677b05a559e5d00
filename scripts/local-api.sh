#!/usr/bin/env bash
# Source this file (". scripts/local-api.sh") to call the local app from a shell the way a store does:
#   ff METHOD PATH [JSON]   e.g.  ff POST v1/customers/$USER_ID/login '{"passcode":"123456"}'
#   ff --allow-failure METHOD PATH [JSON]   the same, when a 4xx/5xx is what you expect (a refused lease, say)
# ff prints the answer's body on stdout. It returns non-zero, saying why on stderr, when the app cannot be reached
# (curl's own exit code: 7 refused, 28 timed out, ...) or answers 4xx/5xx (1), unless --allow-failure is given.
# It sends the customer session in $SESSION as X-Customer-Session, $IDEMPOTENCY_KEY as Idempotency-Key, the
# function key in $FUNCTION_KEY (Azure only), and signs the body as X-FlexFunctions-Signature when $WEBHOOK_SECRET
# is set (the app's Webhook__SigningSecret, for Webhook__RequireSignature=true).
#   ff_field NAME           prints every string value named NAME in the JSON on stdin, in order (no jq needed)

FUNCTIONS_URL=${FUNCTIONS_URL:-http://localhost:7071/api}
EMULATOR_URL=${EMULATOR_URL:-http://127.0.0.1:5080}

# ff_sign SECRET BODY [UNIX_SECONDS]: the signature header value, HMAC-SHA256 of "t.body" in lower-case hex.
ff_sign() {
  local t=${3:-$(date +%s)}
  printf 't=%s,v1=%s' "$t" "$(printf '%s.%s' "$t" "$2" | openssl dgst -sha256 -hmac "$1" -r | cut -d' ' -f1)"
}

ff() {
  local allow_failure=0
  if [ "${1:-}" = "--allow-failure" ]; then allow_failure=1; shift; fi
  if [ $# -lt 2 ]; then echo "usage: ff [--allow-failure] METHOD PATH [JSON]" >&2; return 2; fi
  local method=$1 path=$2 body=${3:-}
  local args=(-sS --max-time "${FF_MAX_TIME:-60}" -X "$method" "$FUNCTIONS_URL/$path" -w '\n%{http_code}')
  if [ -n "$body" ]; then args+=(-H 'Content-Type: application/json' --data-binary "$body"); fi
  if [ -n "${SESSION:-}" ]; then args+=(-H "X-Customer-Session: $SESSION"); fi
  if [ -n "${IDEMPOTENCY_KEY:-}" ]; then args+=(-H "Idempotency-Key: $IDEMPOTENCY_KEY"); fi
  if [ -n "${FUNCTION_KEY:-}" ]; then args+=(-H "x-functions-key: $FUNCTION_KEY"); fi
  if [ -n "${WEBHOOK_SECRET:-}" ]; then args+=(-H "X-FlexFunctions-Signature: $(ff_sign "$WEBHOOK_SECRET" "$body")"); fi
  local answer status=0
  answer=$(curl "${args[@]}") || status=$?
  if [ "$status" -ne 0 ]; then
    echo "ff: $method $path: no answer from $FUNCTIONS_URL (curl exit $status); is the app running (./scripts/run-local.sh)?" >&2
    return "$status"
  fi
  local code=${answer##*$'\n'}
  printf '%s\n' "${answer%$'\n'*}"
  if [ "$code" -ge 400 ] 2>/dev/null && [ "$allow_failure" -ne 1 ]; then
    echo "ff: $method $path answered $code (the problem above says why; ff --allow-failure if you expected it)" >&2
    return 1
  fi
  return 0
}

ff_field() { grep -o "\"$1\": *\"[^\"]*\"" | sed 's/^[^:]*: *"\(.*\)"$/\1/'; }
