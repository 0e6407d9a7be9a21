#!/usr/bin/env bash
# Alipay face-to-face (当面付): the TV shows a QR code, "the Alipay app" (the local sandbox that
# `npm run dev` starts) scans and pays, its signed notify settles the order. Design: docs/payments.md.
. "$(dirname "$0")/lib.sh"

new_household   # tours/lib.sh: a phone account with PIN 482913 and a paired TV (tours/pairing.sh)

step '1. A product, and the TV orders it (as in tours/paying.sh).'
curl -s -X POST $BASE/v1/admin/categories -H "authorization: Bearer $ADMIN" -H "$J" \
  -d '{"categories":[{"slug":"tour-tv","name":"电视"}]}' | check '.items | length == 1'
PRODUCT_ID=$(curl -s -X POST $BASE/v1/admin/products -H "authorization: Bearer $ADMIN" -H "$J" \
  -d '{"products":[{"sku":"TOUR-MI-A50","title":"小米电视 A50 50英寸","brand":"小米",
       "price":{"amount":149900,"currency":"CNY"},"category_slug":"tour-tv","stock":50}]}' |
  take '.items[0].id')
ORDER=$(curl -s -X POST $BASE/v1/orders -H "authorization: Bearer $DEVICE_TOKEN" -H "$J" \
  -d "{\"items\":[{\"product_id\":\"$PRODUCT_ID\",\"quantity\":1}]}" | take .)
ORDER_ID=$(jq -r .order.id <<<"$ORDER")
PAYMENT_ID=$(jq -r .payment.id <<<"$ORDER")

step '2. The TV asks for an Alipay QR code (alipay.trade.precreate, RSA2 both ways).'
QR=$(curl -s -X POST $BASE/v1/payments/$PAYMENT_ID/alipay -H "authorization: Bearer $DEVICE_TOKEN" |
  take .qr_code)
# {"qr_code":"http://127.0.0.1:8788/qr/…","out_trade_no":"pay_…","expires_at":"…"}
# Asking again while it is valid gives the same code (200). The phone can still confirm instead.
curl -s -X POST $BASE/v1/payments/$PAYMENT_ID/alipay -H "authorization: Bearer $DEVICE_TOKEN" |
  check ".qr_code == \"$QR\""

step '3. The buyer scans it and pays in "the Alipay app"; Alipay sends the signed notify.'
# In a browser: open the qr_code URL (the sandbox's cashier page) and press Pay. Here, its endpoint:
SANDBOX=${QR%/qr/*}
curl -s -X POST $SANDBOX/sandbox/pay -H "$J" -d "{\"qr_code\":\"$QR\",\"notify\":\"now\"}" |
  check '.trade_status == "TRADE_SUCCESS"'

step '4. The notify settled the payment (the TV learns it like a phone confirmation).'
curl -s "$BASE/v1/payments/$PAYMENT_ID?wait=10&seen_status=requires_confirmation" \
  -H "authorization: Bearer $DEVICE_TOKEN" | check '.status == "succeeded" and (.receipt | length > 0)'
curl -s $BASE/v1/orders/$ORDER_ID -H "authorization: Bearer $USER_TOKEN" |
  check '.order.status == "paid" and .order.shipping_address == null'

step '5. The phone gives the shipping address afterwards.'
curl -s -X PUT $BASE/v1/orders/$ORDER_ID/shipping-address -H "authorization: Bearer $USER_TOKEN" \
  -H "$J" -d '{"name":"张伟","phone":"13800138000","province":"浙江省","city":"杭州市",
  "line1":"文三路 100 号","postal_code":"310012"}' | check '.order.shipping_address.city == "杭州市"'

step '6. The operator refunds 10 yuan through alipay.trade.refund: partially_refunded.'
curl -s -X POST $BASE/v1/payments/$PAYMENT_ID/refund -H "authorization: Bearer $ADMIN" -H "$J" \
  -d '{"amount":{"amount":1000,"currency":"CNY"}}' |
  check '.status == "partially_refunded" and .amount_refunded.amount == 1000'
curl -s $SANDBOX/sandbox/trades/$PAYMENT_ID | check '.refunded_amount == "10.00"'
