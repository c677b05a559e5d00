#!/usr/bin/env bash
# Source this file (". scripts/local-api.sh") to call the local app from a shell the way a store does:
#   ff METHOD PATH [JSON]   e.g.  ff POST v1/customers/$USER_ID/login '{"passcode":"123456"}'
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
  local method=$1 path=$2 body=${3:-}
  local args=(-sS -X "$method" "$FUNCTIONS_URL/$path")
  if [ -n "$body" ]; then args+=(-H 'Content-Type: application/json' --data-binary "$body"); fi
  if [ -n "${SESSION:-}" ]; then args+=(-H "X-Customer-Session: $SESSION"); fi
  if [ -n "${IDEMPOTENCY_KEY:-}" ]; then args+=(-H "Idempotency-Key: $IDEMPOTENCY_KEY"); fi
  if [ -n "${FUNCTION_KEY:-}" ]; then args+=(-H "x-functions-key: $FUNCTION_KEY"); fi
  if [ -n "${WEBHOOK_SECRET:-}" ]; then args+=(-H "X-FlexFunctions-Signature: $(ff_sign "$WEBHOOK_SECRET" "$body")"); fi
  curl "${args[@]}"
  echo
}

ff_field() { grep -o "\"$1\": *\"[^\"]*\"" | sed 's/^[^:]*: *"\(.*\)"$/\1/'; }
