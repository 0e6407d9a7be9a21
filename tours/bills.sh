#!/usr/bin/env bash
# Bills: from the biller's signed feed to a paid bill, reconciliation, secret rotation, reminders.
# Design: docs/bills.md.
. "$(dirname "$0")/lib.sh"

# sign <secret> <text>: the feed signature, hex HMAC-SHA256 over "<unix time>.<text>".
sign() { printf '%s.%s' "$T" "$2" | openssl dgst -sha256 -hmac "$1" | sed 's/^.*= //'; }

step '0. A person with a paired TV, a PIN and 1,000 yuan.'
new_household   # tours/lib.sh: an account with PIN 482913 and a paired TV (tours/pairing.sh)
curl -s -X POST $BASE/v1/admin/wallets/$USER_ID/credits -H "authorization: Bearer $ADMIN" -H "$J" \
  -d '{"amount":{"amount":100000,"currency":"CNY"},"reason":"demo top-up"}' |
  check '.wallet.balance.amount == 100000'

step '1. The operator registers a biller. The feed secret is shown once: hand it to the biller.'
BILLER=$(curl -s -X POST $BASE/v1/admin/billers -H "authorization: Bearer $ADMIN" -H "$J" \
  -d '{"name":"国网上海市电力公司","category":"electricity","account_pattern":"^\\d{10}$",
       "rules":{"amount":"partial","min_amount":{"amount":1000,"currency":"CNY"}}}' | take .)
# {"biller":{"id":"blr_01m8…","name":"国网上海市电力公司","category":"electricity",
#   "account_pattern":"^\\d{10}$","rules":{…}},"feed_secret":"fsk_yc7c…"}
BILLER_ID=$(jq -r .biller.id <<<"$BILLER")
FEED_SECRET=$(jq -r .feed_secret <<<"$BILLER")
# A pattern that could backtrack forever is refused:
curl -s -X POST $BASE/v1/admin/billers -H "authorization: Bearer $ADMIN" -H "$J" \
  -d '{"name":"Bad","category":"water","account_pattern":"^(\\d+)+$"}' |
  check '.code == "unsafe_pattern"'

step '2. The household links its account number from the TV. Lists only show it masked.'
curl -s -X POST $BASE/v1/me/biller-accounts -H "authorization: Bearer $DEVICE_TOKEN" -H "$J" \
  -d "{\"biller_id\":\"$BILLER_ID\",\"account_number\":\"3100567890\",\"nickname\":\"家里电费\"}" |
  check '.account_number_masked == "****7890"'
curl -s -X POST $BASE/v1/me/biller-accounts -H "authorization: Bearer $DEVICE_TOKEN" -H "$J" \
  -d "{\"biller_id\":\"$BILLER_ID\",\"account_number\":\"31005\"}" |
  check '.code == "invalid_account_number"'

step '3. The biller sends its feed, signed: HMAC-SHA256 over "<t>.<exact body bytes>".'
DUE=$(day 2)   # due in two days (China time), so the reminder in step 8 fires
BODY='{"bills":[{"account_number":"3100567890","bill_ref":"SH-2026-04-3100567890","period":"2026-04","amount_due":{"amount":18650,"currency":"CNY"},"due_date":"'$DUE'"},{"account_number":"12","bill_ref":"BAD-1","period":"2026-04","amount_due":{"amount":100,"currency":"CNY"},"due_date":"'$DUE'"}]}'
T=$(date +%s)
SIG=$(sign "$FEED_SECRET" "$BODY")
# --data-binary sends the bytes exactly (-d would strip newlines from a file).
curl -s -X POST $BASE/v1/biller-feed/bills -H "$J" \
  -H "X-Biller-Id: $BILLER_ID" -H "X-Signature: t=$T,v1=$SIG" --data-binary "$BODY" |
  check '.upserted == 1 and .rejected[0].reason == "invalid_account_number"'
# The same request again is refused (signed 10 minutes ago: signature_expired).
curl -s -X POST $BASE/v1/biller-feed/bills -H "$J" \
  -H "X-Biller-Id: $BILLER_ID" -H "X-Signature: t=$T,v1=$SIG" --data-binary "$BODY" |
  check '.status == 401 and .code == "signature_replayed"'

step '4. The TV looks the bill up (also the 待缴账单 rail on GET /v1/home).'
BILL_ID=$(curl -s "$BASE/v1/me/bills?status=unpaid" -H "authorization: Bearer $DEVICE_TOKEN" |
  take '.items[] | select(.bill_ref == "SH-2026-04-3100567890") | .id')

step '5. The TV starts paying 100 yuan of it; the phone confirms with its PIN.'
PAYMENT_ID=$(curl -s -X POST $BASE/v1/bills/$BILL_ID/pay -H "authorization: Bearer $DEVICE_TOKEN" \
  -H "$J" -H "idempotency-key: tv-pay-$BILL_ID" -d '{"amount":{"amount":10000,"currency":"CNY"}}' |
  take .payment.id)
# Asking again, from either token, gives the same payment (one open payment per bill, 200):
curl -s -X POST $BASE/v1/bills/$BILL_ID/pay -H "authorization: Bearer $USER_TOKEN" |
  check ".payment.id == \"$PAYMENT_ID\""
curl -s -X POST $BASE/v1/payments/$PAYMENT_ID/confirm -H "authorization: Bearer $USER_TOKEN" -H "$J" \
  -d '{"payment_method":"wallet","pin":"482913"}' | check '.payment.status == "succeeded"'
curl -s $BASE/v1/bills/$BILL_ID -H "authorization: Bearer $DEVICE_TOKEN" |
  check '.status == "partially_paid" and .amount_remaining.amount == 8650'

step '6. Pay the rest: without an amount, everything still due (86.50 yuan).'
PAYMENT2=$(curl -s -X POST $BASE/v1/bills/$BILL_ID/pay -H "authorization: Bearer $DEVICE_TOKEN" |
  take .payment.id)
curl -s -X POST $BASE/v1/payments/$PAYMENT2/confirm -H "authorization: Bearer $USER_TOKEN" -H "$J" \
  -d '{"payment_method":"wallet","pin":"482913"}' | check '.payment.amount.amount == 8650'
curl -s -X POST $BASE/v1/bills/$BILL_ID/pay -H "authorization: Bearer $DEVICE_TOKEN" |
  check '.status == 409 and .code == "bill_already_paid"'

step '7. The biller reconciles: signed the same way, over the raw query string (no "?").'
Q='since=2026-01-01T00:00:00Z&limit=50'
T=$(date +%s)
curl -s "$BASE/v1/biller-feed/payments?$Q" -H "X-Biller-Id: $BILLER_ID" \
  -H "X-Signature: t=$T,v1=$(sign "$FEED_SECRET" "$Q")" |
  check '[.items[].amount.amount] == [10000, 8650] and .items[0].bill.status == "paid"'

step '8. Rotation: a new secret; for 24 hours the biller may sign with both.'
NEW_SECRET=$(curl -s -X POST $BASE/v1/admin/billers/$BILLER_ID/rotate-secret \
  -H "authorization: Bearer $ADMIN" | take .feed_secret)
BODY2='{"bills":[{"account_number":"3100567890","bill_ref":"SH-2026-05-3100567890","period":"2026-05","amount_due":{"amount":9900,"currency":"CNY"},"due_date":"'$DUE'"}]}'
T=$(date +%s)
curl -s -X POST $BASE/v1/biller-feed/bills -H "$J" -H "X-Biller-Id: $BILLER_ID" \
  -H "X-Signature: t=$T,v1=$(sign "$NEW_SECRET" "$BODY2"),v1=$(sign "$FEED_SECRET" "$BODY2")" \
  --data-binary "$BODY2" | check '.upserted == 1 and .rejected == []'

step '9. Reminders: the cron records one per household member for bills due within 3 days.'
curl -s "$BASE/__scheduled?cron=*+*+*+*+*"; echo >&2   # every minute when deployed
curl -s "$BASE/v1/me/notifications" -H "authorization: Bearer $USER_TOKEN" |
  check '.items | length > 0'
