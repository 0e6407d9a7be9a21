# Sourced by every tour (tours/*.sh). Run a tour against `npm run dev` with `bash tours/<name>.sh`;
# `npm run test:tours` runs them all against a fresh `wrangler dev` (scripts/tours.mjs).
#
# How to add a tour: write tours/<name>.sh like the others: source this file, one `step` per
# stage, `check` every response the tour relies on, and no fixed phone numbers, ids or dates (a
# tour must pass on a fresh database, on the demo data and on a database it already ran against).
# Put `<!-- tour: tours/<name>.sh -->` and `<!-- /tour -->` where the README should show it, run
# `npm run tours:readme`, then `npm run test:tours -- <name>` (every tours/*.sh runs in CI). A tour
# that needs a secret or a local server the Worker calls gets it from scripts/dev-setup.mjs and
# scripts/tours.mjs, as `npm run dev` does.

# Strict mode when run as a script; a shell that sources this by hand stays as it was.
if [[ $- != *i* ]]; then set -euo pipefail; fi

BASE=${BASE:-http://localhost:8787}
ADMIN=${ADMIN:-$(sed -n 's/^ADMIN_TOKEN=//p' .dev.vars 2>/dev/null)}
J='content-type: application/json'

# step <title>: a heading in the tour's output.
step() { printf '\n\033[1m%s\033[0m\n' "$*" >&2; }

# show: prints the response to stderr on one line, long strings (tokens) shortened.
show() {
  if [[ -n ${QUIET:-} ]]; then return; fi
  local short='walk(if type == "string" and length > 48 and (test(" ") | not) then .[:20] + "…" + .[-8:] else . end)'
  local line
  line=$(jq -c "$short" <<<"$1" 2>/dev/null) || line=$1
  if ((${#line} > 240)); then line="${line:0:240}…"; fi
  printf '%s\n' "$line" >&2
}

# curl … | check '<jq condition>': shows the response; the tour fails unless the condition holds.
check() {
  local body
  body=$(cat)
  show "$body"
  if ! jq -e "$1" >/dev/null 2>&1 <<<"$body"; then
    printf 'CHECK FAILED: %s\n' "$1" >&2
    return 1
  fi
}

# VALUE=$(curl … | take '<jq path>'): shows the response and prints the value (fails if null).
take() {
  local body value
  body=$(cat)
  show "$body"
  value=$(jq -r "$1 // empty" <<<"$body" 2>/dev/null) || value=''
  if [[ -z $value ]]; then
    printf 'TAKE FAILED: no %s in the response\n' "$1" >&2
    return 1
  fi
  printf '%s\n' "$value"
}

# A mainland mobile number no earlier run has used (tours may run again on the same database).
fresh_phone() { printf '139%08d\n' $(((RANDOM << 15 | RANDOM) % 100000000)); }

# at <seconds from now>: an RFC 3339 UTC time. day <days from now>: a China-time calendar date.
at() { jq -nr "now + $1 | floor | todate"; }
day() { jq -nr "now + 8 * 3600 + $1 * 86400 | floor | strftime(\"%Y-%m-%d\")"; }

# new_household: a fresh phone account with PIN 482913 and a paired TV, as tours/pairing.sh does
# it step by step. Sets PHONE, PASSWORD, USER_TOKEN, USER_ID, DEVICE_TOKEN, DEVICE_ID.
new_household() {
  local QUIET=1
  PHONE=$(fresh_phone)
  PASSWORD='correct horse battery'
  USER_TOKEN=$(curl -s -X POST $BASE/v1/auth/register -H "$J" \
    -d "{\"phone\":\"$PHONE\",\"password\":\"$PASSWORD\"}" | take .access_token)
  USER_ID=$(curl -s $BASE/v1/me -H "authorization: Bearer $USER_TOKEN" | take .id)
  curl -s -o /dev/null -w '%{http_code}' -X PUT $BASE/v1/me/payment-pin \
    -H "authorization: Bearer $USER_TOKEN" -H "$J" \
    -d "{\"pin\":\"482913\",\"password\":\"$PASSWORD\"}" | check '. == 204'
  local pairing
  pairing=$(curl -s -X POST $BASE/v1/oauth/device_authorization -d client_id=skyworth-tv | take .)
  DEVICE_ID=$(curl -s -X POST $BASE/v1/devices/activate -H "authorization: Bearer $USER_TOKEN" \
    -H "$J" -d "{\"user_code\":\"$(jq -r .user_code <<<"$pairing")\",\"approve\":true}" |
    take .device.id)
  DEVICE_TOKEN=$(curl -s -X POST $BASE/v1/oauth/token \
    -d grant_type=urn:ietf:params:oauth:grant-type:device_code \
    -d device_code="$(jq -r .device_code <<<"$pairing")" -d client_id=skyworth-tv |
    take .access_token)
}
