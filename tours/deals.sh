#!/usr/bin/env bash
# A group-buy deal's life: joins hold money, the deal tips, the settlement queue captures; a
# failed deal gives every hold back. Design: docs/deals.md. Needs `wrangler dev
# --test-scheduled` (npm run dev).
. "$(dirname "$0")/lib.sh"

step '1. A product to sell (catalog admin), 2,999.00 yuan.'
curl -s -X POST $BASE/v1/admin/categories -H "authorization: Bearer $ADMIN" -H "$J" \
  -d '{"categories":[{"slug":"tour-tv","name":"电视"}]}' | check '.items | length == 1'
SKU=TOUR-DEAL-$(openssl rand -hex 3)   # a new product each run: one open deal per product
PRODUCT=$(curl -s -X POST $BASE/v1/admin/products -H "authorization: Bearer $ADMIN" -H "$J" \
  -d "{\"products\":[{\"sku\":\"$SKU\",\"title\":\"小米电视 55 英寸 4K\",\"brand\":\"小米\",
       \"price\":{\"amount\":299900,\"currency\":\"CNY\"},\"category_slug\":\"tour-tv\",
       \"stock\":100}]}" | take '.items[0].id')

step '2. The deal: 2,499 yuan instead of 2,999, tips at 2 confirmed participants, 2 per person.'
DEAL=$(curl -s -X POST $BASE/v1/admin/deals -H "authorization: Bearer $ADMIN" -H "$J" -d "{
  \"product_id\":\"$PRODUCT\",\"deal_price\":{\"amount\":249900,\"currency\":\"CNY\"},
  \"starts_at\":\"$(at 0)\",\"ends_at\":\"$(at 7200)\",
  \"min_group_size\":2,\"stock\":50,\"max_per_user\":2}" | take .id)
curl -s "$BASE/v1/deals?status=active" | check ".items | any(.id == \"$DEAL\")"

step '3. Two people with a payment PIN and 5,000 yuan in their wallets.'
for who in A B; do
  new_household   # tours/lib.sh: an account with PIN 482913 and a paired TV
  curl -s -X POST $BASE/v1/admin/wallets/$USER_ID/credits -H "authorization: Bearer $ADMIN" \
    -H "$J" -d '{"amount":{"amount":500000,"currency":"CNY"},"reason":"demo"}' |
    check '.wallet.balance.amount == 500000'
  eval "TOKEN_$who=$USER_TOKEN TV_$who=$DEVICE_TOKEN"
done

step '4. A joins from the TV: units reserved, a manual-capture payment waits for the phone.'
PAY_A=$(curl -s -X POST $BASE/v1/deals/$DEAL/join -H "authorization: Bearer $TV_A" -H "$J" \
  -H "idempotency-key: join-a-$DEAL" -d '{"quantity":1}' | take .payment.id)

step '5. A confirms on the phone: only a hold (requires_capture); the wallet shows it as held.'
ADDRESS='{"name":"张伟","phone":"13800138001","province":"浙江省","city":"杭州市",
  "line1":"文三路 100 号","postal_code":"310012"}'
curl -s -X POST $BASE/v1/payments/$PAY_A/confirm -H "authorization: Bearer $TOKEN_A" -H "$J" \
  -d "{\"payment_method\":\"wallet\",\"pin\":\"482913\",\"shipping_address\":$ADDRESS}" |
  check '.payment.status == "requires_capture"'
curl -s $BASE/v1/me/wallet -H "authorization: Bearer $TOKEN_A" |
  check '.balance.amount == 250100 and .held.amount == 249900'

step '6. B joins with 2 units and confirms: the second confirmed participant tips the deal.'
PAY_B=$(curl -s -X POST $BASE/v1/deals/$DEAL/join -H "authorization: Bearer $TOKEN_B" -H "$J" \
  -d '{"quantity":2}' | take .payment.id)
curl -s -X POST $BASE/v1/payments/$PAY_B/confirm -H "authorization: Bearer $TOKEN_B" -H "$J" \
  -d "{\"payment_method\":\"wallet\",\"pin\":\"482913\",\"shipping_address\":$ADDRESS}" |
  check '.payment.status | IN("succeeded", "requires_capture")'
curl -s $BASE/v1/deals/$DEAL |
  check '.status == "tipped" and .participants == 2 and .stock_remaining == 47'

step '7. Tipping queued the captures (settlement queue, a second or so): A'"'"'s hold is captured.'
curl -s "$BASE/v1/payments/$PAY_A?wait=20&seen_status=requires_capture" \
  -H "authorization: Bearer $TOKEN_A" | check '.status == "succeeded"'
curl -s $BASE/v1/me/wallet -H "authorization: Bearer $TOKEN_A" | check '.held.amount == 0'
curl -s $BASE/v1/me/orders -H "authorization: Bearer $TOKEN_A" |
  check '.items[0].status == "paid" and .items[0].total.amount == 249900'

step '8. The per-person cap (2) holds: A asking for 2 more is refused.'
curl -s -X POST $BASE/v1/deals/$DEAL/join -H "authorization: Bearer $TOKEN_A" -H "$J" \
  -d '{"quantity":2}' | check '.status == 409 and .code == "limit_exceeded"'

step '9. The product page shows the running deal; the TV home has it in the deals rail.'
curl -s $BASE/v1/products/$PRODUCT | check ".active_deal.id == \"$DEAL\""
curl -s $BASE/v1/home | check '.rails | any(.kind == "deals")'

step '10. A deal that fails: 5 people needed, 10 seconds to go, A joins and confirms.'
FAILING=$(curl -s -X POST $BASE/v1/admin/deals -H "authorization: Bearer $ADMIN" -H "$J" -d "{
  \"product_id\":\"$PRODUCT\",\"deal_price\":{\"amount\":249900,\"currency\":\"CNY\"},
  \"starts_at\":\"$(at 0)\",\"ends_at\":\"$(at 10)\",
  \"min_group_size\":5,\"stock\":10,\"max_per_user\":1}" | take .id)
PAY_F=$(curl -s -X POST $BASE/v1/deals/$FAILING/join -H "authorization: Bearer $TOKEN_A" -H "$J" \
  -d '{"quantity":1}' | take .payment.id)
curl -s -X POST $BASE/v1/payments/$PAY_F/confirm -H "authorization: Bearer $TOKEN_A" -H "$J" \
  -d "{\"payment_method\":\"wallet\",\"pin\":\"482913\",\"shipping_address\":$ADDRESS}" |
  check '.payment.status == "requires_capture"'
sleep 11   # the cron (every minute when deployed; here by hand) fails it and queues the release
curl -s "$BASE/__scheduled?cron=*+*+*+*+*"; echo >&2   # Ran scheduled event
curl -s $BASE/v1/deals/$FAILING | check '.status == "failed"'
curl -s "$BASE/v1/payments/$PAY_F?wait=20&seen_status=requires_capture" \
  -H "authorization: Bearer $TOKEN_A" | check '.status == "canceled"'
curl -s $BASE/v1/me/wallet -H "authorization: Bearer $TOKEN_A" |
  check '.held.amount == 0 and .balance.amount == 500000 - 249900'
