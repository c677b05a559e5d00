#!/usr/bin/env bash
# Seeds example data into the running local FlexShopper emulator (start it with scripts/run-local.sh) and prints
# the commands that walk a customer's journey through the app. The same requests are in scripts/journey.http.
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

cat <<MSG

Walk the journey (Functions host at $FUNCTIONS_URL; every request also in scripts/journey.http). Locally
Core Tools does not check function keys; in Azure send x-functions-key.

# 1. Look the customer up (a new email gives exists=false: create it with POST v1/customers)
curl -s "$FUNCTIONS_URL/v1/customers/lookup?email=$EMAIL"
curl -s -X POST "$FUNCTIONS_URL/v1/customers" -H 'Content-Type: application/json' \\
  -d '{"firstName":"Ada","lastName":"Lovelace","email":"ada@example.com"}'

# 2. Passcode: ask for one, read it from the emulator's outbox (instead of SMS/email), log in
curl -s -X POST "$FUNCTIONS_URL/v1/customers/$USER_ID/passcode" -H 'Content-Type: application/json' -d '{"transport":"email"}'
curl -s "$EMULATOR_URL/__admin/outbox?userId=$USER_ID"
curl -s -X POST "$FUNCTIONS_URL/v1/customers/$USER_ID/login" -H 'Content-Type: application/json' -d '{"passcode":"<from the outbox>"}'
#    -> keep the session the app returns; send it as shown in scripts/journey.http

# 3. Application (new customers): SSN ending 1 approves, 0 declines, 9 asks identity questions
curl -s "$FUNCTIONS_URL/v1/routing-numbers/021000021"
#    POST v1/applications, then for SSN ending 9: GET v1/applications/questions, POST v1/applications/answers
#    (right answers: q1-b, q2-a, q3-c)

# 4. Lease, sign, finalize (a total under \$49.95 or over the limit is refused)
#    POST v1/leases, GET v1/leases/{leaseId}, POST v1/leases/{leaseId}/sign, POST v1/transactions/{id}/finalize
curl -s "$FUNCTIONS_URL/v1/transactions/order-1001"

# 5. The warehouse ships: drop a shipment message on the warehouse queue in Azurite
dotnet $EMULATOR_DLL put-message $SETTINGS \\
  '{"eventId":"ship-order-1001-1","type":"shipment","transactionId":"order-1001","items":[{"sku":"EMU-00005","quantity":1,"carrier":"ground","shipDate":"$(date +%F)","trackingNumber":"1Z999"}]}'
curl -s "$EMULATOR_URL/v3/transactions/order-1001" -H "Authorization: $KEY"   # quantityByStatus.shipped is now 1

# Check nothing went wrong on FlexShopper's side:
curl -s "$EMULATOR_URL/__admin/violations"   # [] : no customer token sent with the wrong key
curl -s "$EMULATOR_URL/__admin/duplicates"   # [] : nothing confirmed twice
MSG
