#!/usr/bin/env bash
# Seeds example data into the running local FlexShopper emulator (start it with scripts/run-local.sh) and prints
# the commands that walk a customer's journey through the app (with scripts/local-api.sh). The same requests, for
# an editor's HTTP client, are in scripts/journey.http; Tests/EndToEnd/WalkthroughContractTests.cs checks both.
#
# Seeded: a returning customer returning@example.com, already approved ($2,000 limit), so the walk-through can
# start at login. New customers are created through the app itself (first steps below).
set -euo pipefail
cd "$(dirname "$0")/.."

EMULATOR_URL=${EMULATOR_URL:-http://127.0.0.1:5080}
FUNCTIONS_URL=${FUNCTIONS_URL:-http://localhost:7071/api}
SETTINGS=Functions/local.settings.json
EMULATOR_DLL=Emulator/bin/Debug/net10.0/FlexShopper.Emulator.dll

die() { printf 'error: %s\n' "$*" >&2; exit 1; }
command -v curl >/dev/null || die "curl is required"
curl -fsS "$EMULATOR_URL/__admin/health" >/dev/null 2>&1 || die "no emulator answers on $EMULATOR_URL: run ./scripts/run-local.sh first"
[ -f "$SETTINGS" ] || die "$SETTINGS is missing: run ./scripts/run-local.sh first"

# The key the app uses, so the seeded customer belongs to the same merchant.
KEY=$(sed -n 's/.*"FlexShopper__ApiKey": *"\([^"]*\)".*/\1/p' "$SETTINGS")
KEY=${KEY:-local-emulator-key}

v3() { # method path [json] [customer token]
  curl -sS -X "$1" "$EMULATOR_URL/v3/$2" -H "Authorization: $KEY" -H 'Content-Type: application/json' \
    ${4:+-H "Customer-Token: $4"} ${3:+--data "$3"}
}
field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"; }

EMAIL=returning@example.com
if v3 GET "user-exists?email=$EMAIL" | grep -q '"exists":true'; then
  echo "seeded customer $EMAIL already exists"
else
  created=$(v3 POST users '{"firstName":"Rita","lastName":"Returning","email":"'"$EMAIL"'"}')
  token=$(printf '%s' "$created" | field token)
  [ -n "$token" ] || die "could not create $EMAIL: $created"
  # SSN ending 1 and $4,000 a month: approved with a $2,000 limit (Emulator/README.md, "Test data").
  v3 POST users/me/apply '{"street1":"1 Ocean Blvd","city":"Boca Raton","regionAbbr":"FL","postalCode":"33431","country":"US",
    "mobilePhone":"5615550100","dateOfBirth":"1985-02-03","ssn":"123456781",
    "employmentInformation":{"payFrequency":"biweekly","monthlyIncome":4000},
    "bankAccount":{"routing":"021000021","account":"000123456789","type":"checking"}}' "$token" | grep -q '"status":"approved"' \
    || die "the seeded application was not approved"
  echo "seeded customer $EMAIL (approved, \$2,000 limit)"
fi
USER_ID=$(v3 GET "user-exists?email=$EMAIL" | field userId)

ORDER=order-$(date +%H%M%S)
TODAY=$(date +%F)
cat <<MSG

Walk the journey: paste these into a second shell in the repository root (Functions host at $FUNCTIONS_URL).
ff (scripts/local-api.sh) sends \$SESSION as X-Customer-Session, \$IDEMPOTENCY_KEY as Idempotency-Key, and signs
the body when \$WEBHOOK_SECRET is set (only needed with Webhook__RequireSignature=true).

. scripts/local-api.sh
ff GET v1/health/ready      # every check Healthy: storage, queues and the emulator reachable

# 1. A returning customer: look them up, send a passcode (it lands in the emulator's outbox), log in
ff GET "v1/customers/lookup?email=$EMAIL"
ff POST v1/customers/$USER_ID/passcode '{"transport":"email"}'
PASSCODE=\$(curl -s "$EMULATOR_URL/__admin/outbox?userId=$USER_ID" | ff_field passcode | tail -n 1)
SESSION=\$(ff POST v1/customers/$USER_ID/login "{\"passcode\":\"\$PASSCODE\"}" | ff_field session | head -n 1)
ff GET v1/customers/me

# 2. Lease the cart, sign, finalize (a total under \$49.95 or over the limit is refused)
LEASE_ID=\$(IDEMPOTENCY_KEY=lease-$ORDER ff POST v1/leases '{"transactionId":"$ORDER","items":[{"brand":"Acme","sku":"EMU-00005","description":"Television model 5","cost":599.99,"quantity":1},{"brand":"Acme","sku":"EMU-00006","description":"Laptop model 6","cost":149.50,"quantity":2}],"shipping":{"cost":0,"method":"ground"}}' | ff_field leaseId | head -n 1)
ff GET v1/leases/\$LEASE_ID
IDEMPOTENCY_KEY=sign-$ORDER ff POST v1/leases/\$LEASE_ID/sign '{"customerIp":"203.0.113.7"}'
IDEMPOTENCY_KEY=finalize-$ORDER ff POST v1/transactions/$ORDER/finalize
ff GET v1/transactions/$ORDER

# 3. The warehouse ships and the customer receives: messages on the warehouse queue in Azurite
dotnet $EMULATOR_DLL put-message $SETTINGS '{"version":1,"type":"shipment","transactionId":"$ORDER","reference":"PICK-$ORDER","items":[{"sku":"EMU-00005","quantity":1,"carrier":"UPS","trackingNumber":"1Z999AA10123456784","shipDate":"$TODAY"}]}'
dotnet $EMULATOR_DLL put-message $SETTINGS '{"version":1,"type":"receipt","transactionId":"$ORDER","items":[{"sku":"EMU-00005","quantity":1,"receivedDate":"$TODAY"}]}'
curl -s "$EMULATOR_URL/v3/transactions/$ORDER" -H "Authorization: $KEY"   # EMU-00005: shipped 1, received 1

# 4. A new customer: sign up (the answer carries a session), apply (SSN ending 9: identity questions), answer
SESSION=\$(ff POST v1/customers '{"firstName":"Ada","lastName":"Lovelace","email":"ada.$ORDER@example.com","locale":"en"}' | ff_field session | head -n 1)
ff GET v1/routing-numbers/021000021
ff POST v1/applications '{"street1":"1 Ocean Blvd","city":"Boca Raton","region":"FL","postalCode":"33431","country":"US","mobilePhone":"5615550100","dateOfBirth":"1990-04-01","ssn":"123456789","employmentInformation":{"payFrequency":"biweekly","monthlyIncome":4000},"bankAccount":{"routing":"021000021","account":"000123456789","type":"checking"},"customerIp":"203.0.113.7"}'
QUESTIONS_ID=\$(ff GET v1/applications/questions | ff_field id | head -n 1)
ff POST v1/applications/answers "{\"id\":\"\$QUESTIONS_ID\",\"answers\":[{\"questionId\":\"q1\",\"choiceId\":\"q1-b\"},{\"questionId\":\"q2\",\"choiceId\":\"q2-a\"},{\"questionId\":\"q3\",\"choiceId\":\"q3-c\"}]}"

# 5. The catalog: refresh it now (the timer runs every 6 hours, never at start-up), then read it as the storefront does
ff POST v1/admin/catalog/refresh
ff GET v1/catalog/status
ff GET v1/catalog/products/EMU-00005

# Nothing went wrong on FlexShopper's side:
curl -s "$EMULATOR_URL/__admin/violations"   # [] : no customer token sent with the wrong key
curl -s "$EMULATOR_URL/__admin/duplicates"   # [] : nothing confirmed twice
MSG
