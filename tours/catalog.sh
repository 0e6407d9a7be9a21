#!/usr/bin/env bash
# Catalog and search: admin writes, then what a TV asks on every keypress. Design: docs/catalog.md.
. "$(dirname "$0")/lib.sh"

step '1. Categories: a root and a child in one call (parents first is not required).'
CATEGORIES=$(curl -s -X POST $BASE/v1/admin/categories -H "authorization: Bearer $ADMIN" -H "$J" \
  -d '{"categories":[{"slug":"tour-tv","name":"电视","position":1},
       {"slug":"tour-tv-oled","name":"OLED电视","parent_slug":"tour-tv"},
       {"slug":"tour-phone","name":"手机","position":2}]}' | take .)
# {"items":[{"id":"cat_01m8…yea","slug":"tour-tv"},{"id":"cat_01m8…5w4","slug":"tour-tv-oled"},…]}
TV_CATEGORY_ID=$(jq -r '.items[] | select(.slug == "tour-tv") | .id' <<<"$CATEGORIES")

step '2. Products: up to 100 a call, upsert by sku, all or nothing.'
PRODUCTS=$(curl -s -X POST $BASE/v1/admin/products -H "authorization: Bearer $ADMIN" -H "$J" \
  -d '{"products":[
    {"sku":"TOUR-MI-EA55","title":"小米电视 EA55 55英寸 4K超高清智能电视","brand":"小米",
     "price":{"amount":179900,"currency":"CNY"},"category_slug":"tour-tv","stock":120,"sales":5400,
     "images":[{"url":"https://img.tvpay.example/mi-ea55.jpg","width":800,"height":800}],
     "attributes":{"屏幕尺寸":"55英寸","分辨率":"4K"}},
    {"sku":"TOUR-SKY-65A3","title":"创维 65A3 65英寸 AI语音智能电视","brand":"创维",
     "price":{"amount":299900,"currency":"CNY"},"category_slug":"tour-tv-oled","stock":8,"sales":9100},
    {"sku":"TOUR-HW-MATE60","title":"华为 Mate 60 Pro 12GB+512GB 雅川青","brand":"华为",
     "price":{"amount":699900,"currency":"CNY"},"category_slug":"tour-phone","stock":40,"sales":8000}]}' |
  take .)
# {"items":[{"id":"prod_01m8…8x6","sku":"TOUR-MI-EA55"},{"id":"prod_01m8…pvm","sku":"TOUR-SKY-65A3"},…]}
PRODUCT_ID=$(jq -r '.items[] | select(.sku == "TOUR-MI-EA55") | .id' <<<"$PRODUCTS")
OLED_ID=$(jq -r '.items[] | select(.sku == "TOUR-SKY-65A3") | .id' <<<"$PRODUCTS")

step '3. Suggest on every keypress: initials, Han, T9, mixed text.'
curl -s "$BASE/v1/search/suggest?q=xmds" | check '.items[0].title | startswith("小米电视")'   # initials
curl -s "$BASE/v1/search/suggest?q=%E7%94%B5%E8%A7%86" | check '.items | any(.kind == "category")' # 电视
curl -s "$BASE/v1/search/suggest?q=96&mode=t9" | check '.items | length > 0'   # x m on a keypad
curl -s "$BASE/v1/search/suggest?q=ea55" | check ".items[0].id == \"$PRODUCT_ID\""  # mixed text
curl -s "$BASE/v1/search/suggest?q=Mate%2060" | check '.items[0].title | contains("Mate 60")'

step '4. Full results, keyset pages.'
curl -s "$BASE/v1/search?q=dianshi&limit=1" | check '(.items | length) == 1 and .next_cursor != null'

step '5. Browse: a category lists its subcategories'"'"' products too.'
curl -s "$BASE/v1/categories" | check ".items | any(.id == \"$TV_CATEGORY_ID\")"
curl -s "$BASE/v1/products?category_id=$TV_CATEGORY_ID&limit=20" |
  check "[.items[].id] | index(\"$OLED_ID\") != null and index(\"$PRODUCT_ID\") != null"
curl -s "$BASE/v1/home" | check '.rails | length > 0'

step '6. Detail, ETag and 304: the second answer comes from a cache layer.'
ETAG=$(curl -s -D - -o /dev/null "$BASE/v1/products/$PRODUCT_ID" | sed -n 's/^etag: *//Ip' | tr -d '\r')
# ETag: "aqxLEu6kuYFyaqhI"   Cache-Control: public, no-cache
curl -s -o /dev/null -w '%{http_code}' "$BASE/v1/products/$PRODUCT_ID" -H "if-none-match: $ETAG" |
  check '. == 304'
curl -s "$BASE/v1/products/$PRODUCT_ID" | check '.attributes["分辨率"] == "4K" and .active_deal == null'

step '7. A paired TV'"'"'s home (personal rails; never shared-cached).'
new_household   # tours/lib.sh: a phone account with a paired TV, as in tours/pairing.sh
curl -s "$BASE/v1/home" -H "authorization: Bearer $DEVICE_TOKEN" | check '.rails | length > 0'

step '8. Errors are problem+json with a stable code.'
curl -s -X POST $BASE/v1/admin/products -H "$J" -d '{}' | check '.status == 401'
curl -s -X POST $BASE/v1/admin/products -H "authorization: Bearer $ADMIN" -H "$J" \
  -d '{"products":[{"sku":"X1","title":"测试","brand":"测试","price":{"amount":100,"currency":"CNY"},
       "category_slug":"no-such","stock":1}]}' | check '.code == "unknown_category"'
curl -s "$BASE/v1/search/suggest?q=%27%20OR%201%3D1%20--" | check '.items | type == "array"'  # text, not SQL
# Chinese first: title/detail follow Accept-Language (zh-CN when none); the code stays the same.
curl -s "$BASE/v1/products/prd_nope" | check '.code == "not_found" and .title == "找不到"'
curl -s "$BASE/v1/products/prd_nope" -H 'accept-language: en' | check '.title == "Not found"'
