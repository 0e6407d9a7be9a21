#!/usr/bin/env bash
# Pairing a TV: a phone account, then the RFC 8628 device flow. Design: docs/auth.md.
. "$(dirname "$0")/lib.sh"

PHONE=$(fresh_phone)   # e.g. 13912345678; any 11-digit mainland number
PASSWORD='correct horse battery'

step '1. The phone creates an account (or logs in) and keeps the user token.'
curl -s -X POST $BASE/v1/auth/register -H "$J" \
  -d "{\"phone\":\"$PHONE\",\"password\":\"$PASSWORD\"}" | check '.user.id | startswith("usr_")'
USER_TOKEN=$(curl -s -X POST $BASE/v1/auth/login -H "$J" \
  -d "{\"phone\":\"$PHONE\",\"password\":\"$PASSWORD\"}" | take .access_token)

step '2. The TV starts pairing (form-encoded, as most device SDKs send it).'
PAIRING=$(curl -s -X POST $BASE/v1/oauth/device_authorization \
  -d client_id=skyworth-tv -d 'device_name=Living room TV' | take .)
# {"device_code":"…","user_code":"WDJB-MJHT","verification_uri":"…/activate",
#  "verification_uri_complete":"…/activate?user_code=WDJB-MJHT","expires_in":600,"interval":5}
DEVICE_CODE=$(jq -r .device_code <<<"$PAIRING")
USER_CODE=$(jq -r .user_code <<<"$PAIRING")   # the TV shows this, or a QR of the _complete URI

step '3. The TV polls every `interval` seconds; until the phone approves, it gets:'
curl -s -X POST $BASE/v1/oauth/token \
  -d grant_type=urn:ietf:params:oauth:grant-type:device_code \
  -d device_code=$DEVICE_CODE -d client_id=skyworth-tv | check '.error == "authorization_pending"'

step '4. The phone approves the code the TV shows (case and dash do not matter).'
curl -s -X POST $BASE/v1/devices/activate -H "authorization: Bearer $USER_TOKEN" -H "$J" \
  -d "{\"user_code\":\"$USER_CODE\",\"approve\":true}" | check '.device.name == "Living room TV"'

step '5. The TV waits `interval` seconds (polling sooner earns slow_down), then gets its tokens.'
sleep "$(jq -r .interval <<<"$PAIRING")"
TV_TOKENS=$(curl -s -X POST $BASE/v1/oauth/token \
  -d grant_type=urn:ietf:params:oauth:grant-type:device_code \
  -d device_code=$DEVICE_CODE -d client_id=skyworth-tv | take .)
DEVICE_TOKEN=$(jq -r .access_token <<<"$TV_TOKENS")
DEVICE_REFRESH=$(jq -r .refresh_token <<<"$TV_TOKENS")

step '6. The TV browses as the user (phone masked), but cannot act as the user.'
curl -s $BASE/v1/me -H "authorization: Bearer $DEVICE_TOKEN" | check '.phone | contains("****")'
curl -s $BASE/v1/me/devices -H "authorization: Bearer $DEVICE_TOKEN" |
  check '.status == 403 and .code == "user_token_required"'

step '7. The phone lists its devices.'
DEVICE_ID=$(curl -s $BASE/v1/me/devices -H "authorization: Bearer $USER_TOKEN" | take '.items[0].id')

step '8. The TV refreshes its token before it expires.'
# Each refresh token works once: presenting a used one unpairs the TV (reuse detection).
DEVICE_TOKEN=$(curl -s -X POST $BASE/v1/oauth/token -d grant_type=refresh_token \
  -d refresh_token=$DEVICE_REFRESH -d client_id=skyworth-tv | take .access_token)

step '9. The payment PIN: the phone only; the account password proves it is the owner.'
curl -s -o /dev/null -w '%{http_code}' -X PUT $BASE/v1/me/payment-pin \
  -H "authorization: Bearer $USER_TOKEN" -H "$J" \
  -d "{\"pin\":\"482913\",\"password\":\"$PASSWORD\"}" | check '. == 204'

step '10. The phone unpairs the TV: its next request is 401, even with an unexpired token.'
curl -s -o /dev/null -w '%{http_code}' -X DELETE $BASE/v1/me/devices/$DEVICE_ID \
  -H "authorization: Bearer $USER_TOKEN" | check '. == 204'
curl -s $BASE/v1/me -H "authorization: Bearer $DEVICE_TOKEN" | check '.code == "invalid_token"'
