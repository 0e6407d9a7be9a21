#!/usr/bin/env bash
# Paying: the TV orders, the phone confirms with its PIN, the TV verifies the signed receipt.
# Design: docs/payments.md.
. "$(dirname "$0")/lib.sh"

new_household   # tours/lib.sh: a phone account with PIN 482913 and a paired TV (tours/pairing.sh)

step '1. The operator credits the wallet with 3,000.00 yuan (funding → wallet, one transfer).'
curl -s -X POST $BASE/v1/admin/wallets/$USER_ID/credits -H "authorization: Bearer $ADMIN" -H "$J" \
  -H "idempotency-key: topup-$USER_ID-1" \
  -d '{"amount":{"amount":300000,"currency":"CNY"},"reason":"welcome credit"}' |
  check '.wallet.balance.amount == 300000'

step '2. A product to sell: 1,799.00 yuan (catalog admin, as in tours/catalog.sh).'
curl -s -X POST $BASE/v1/admin/categories -H "authorization: Bearer $ADMIN" -H "$J" \
  -d '{"categories":[{"slug":"tour-tv","name":"电视"}]}' | check '.items | length == 1'
PRODUCT_ID=$(curl -s -X POST $BASE/v1/admin/products -H "authorization: Bearer $ADMIN" -H "$J" \
  -d '{"products":[{"sku":"TOUR-MI-EA55","title":"小米电视 EA55 55英寸 4K超高清智能电视",
       "brand":"小米","price":{"amount":179900,"currency":"CNY"},"category_slug":"tour-tv",
       "stock":120}]}' | take '.items[0].id')

step '3. The TV orders it: the unit is reserved, a payment awaits the phone.'
ORDER=$(curl -s -X POST $BASE/v1/orders -H "authorization: Bearer $DEVICE_TOKEN" -H "$J" \
  -H "idempotency-key: $(openssl rand -hex 16)" \
  -d "{\"items\":[{\"product_id\":\"$PRODUCT_ID\",\"quantity\":1}]}" | take .)
# {"order":{"id":"ord_…","status":"pending_payment",…},"payment":{"id":"pay_…",
#  "status":"requires_confirmation","confirmation":{"url":"…/pay/pay_…?code=K7QF3M","code":"K7QF3M"},…}}
ORDER_ID=$(jq -r .order.id <<<"$ORDER")
PAYMENT_ID=$(jq -r .payment.id <<<"$ORDER")

step '4. The TV waits (up to 25 s) for the phone, without polling.'
TV_WAIT=$(mktemp)
curl -s "$BASE/v1/payments/$PAYMENT_ID?wait=25" -H "authorization: Bearer $DEVICE_TOKEN" > "$TV_WAIT" &

step '5. The phone sees what awaits it and confirms with the wallet, the PIN and an address.'
curl -s "$BASE/v1/me/payments?status=requires_confirmation" -H "authorization: Bearer $USER_TOKEN" |
  check ".items | any(.id == \"$PAYMENT_ID\")"
ADDRESS='{"name":"张伟","phone":"13800138000","province":"浙江省","city":"杭州市",
  "district":"西湖区","line1":"文三路 100 号","postal_code":"310012"}'
# The TV's token cannot confirm: 403 user_token_required. A wrong PIN: 403 invalid_pin with
# attempts_remaining; the fifth in a row: 423 pin_locked.
curl -s -X POST $BASE/v1/payments/$PAYMENT_ID/confirm -H "authorization: Bearer $DEVICE_TOKEN" \
  -H "$J" -d "{\"payment_method\":\"wallet\",\"pin\":\"482913\",\"shipping_address\":$ADDRESS}" |
  check '.code == "user_token_required"'
curl -s -X POST $BASE/v1/payments/$PAYMENT_ID/confirm -H "authorization: Bearer $USER_TOKEN" \
  -H "$J" -d "{\"payment_method\":\"wallet\",\"pin\":\"000000\",\"shipping_address\":$ADDRESS}" |
  check '.code == "invalid_pin" and .attempts_remaining == 4'
curl -s -X POST $BASE/v1/payments/$PAYMENT_ID/confirm -H "authorization: Bearer $USER_TOKEN" \
  -H "$J" -H "idempotency-key: $(openssl rand -hex 16)" \
  -d "{\"payment_method\":\"wallet\",\"pin\":\"482913\",\"shipping_address\":$ADDRESS}" |
  check '.payment.status == "succeeded" and (.receipt | length > 0)'

step '6. The TV'"'"'s wait returned at once with the new status and the receipt.'
wait
RECEIPT=$(take .receipt < "$TV_WAIT")
curl -s $BASE/v1/orders/$ORDER_ID -H "authorization: Bearer $DEVICE_TOKEN" |
  check '.order.status == "paid"'
curl -s $BASE/v1/me/wallet -H "authorization: Bearer $USER_TOKEN" |
  check '.balance.amount == 300000 - 179900'

step '7. The TV verifies the receipt offline against the published keys.'
curl -s $BASE/.well-known/jwks.json > "$TV_WAIT.jwks"
RECEIPT=$RECEIPT DEVICE_ID=$DEVICE_ID JWKS=$TV_WAIT.jwks npx tsx -e '
  import { readFileSync } from "node:fs"
  import { verifyReceipt } from "./src/payments/receipt-verify.ts"
  const jwks = JSON.parse(readFileSync(process.env.JWKS, "utf8"))
  const opts = { jwks, issuer: "https://tvpay.example", audience: process.env.DEVICE_ID }
  verifyReceipt(process.env.RECEIPT, opts).then((r) => console.log(JSON.stringify(r)))' |
  check ".payment_id == \"$PAYMENT_ID\" and .amount == 179900 and .status == \"succeeded\""

step '8. Cards: save a sandbox token (never a card number) to pay later orders with it.'
curl -s -X POST $BASE/v1/me/payment-methods -H "authorization: Bearer $USER_TOKEN" -H "$J" \
  -d '{"provider":"sandbox","token":"tok_visa"}' | check '.brand == "visa" and .last4 == "4242"'
curl -s -X POST $BASE/v1/me/payment-methods -H "authorization: Bearer $USER_TOKEN" -H "$J" \
  -d '{"provider":"sandbox","token":"4242 4242 4242 4242"}' |
  check '.code == "card_number_not_allowed"'

step '9. The operator refunds 1 yuan of it (omit the amount to refund the rest).'
curl -s -X POST $BASE/v1/payments/$PAYMENT_ID/refund -H "authorization: Bearer $ADMIN" -H "$J" \
  -d '{"amount":{"amount":100,"currency":"CNY"}}' | check '.status | endswith("refunded")'
curl -s $BASE/v1/me/wallet -H "authorization: Bearer $USER_TOKEN" |
  check '.balance.amount == 300000 - 179900 + 100'
rm -f "$TV_WAIT" "$TV_WAIT.jwks"
