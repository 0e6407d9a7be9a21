#!/usr/bin/env bash
# The typed client for TV and phone apps (client/, README "Typed client"): built, type-checked as
# an app would, then run against this server.
. "$(dirname "$0")/lib.sh"

step '1. Build it: one ES module of hono/client alone, plus the route types as declarations.'
npm run -s build:client >&2   # client: dist/client/index.js 10.3 KB, 3.2 KB gzip …

step '2. Type-check the README example as an app would (DOM, no Workers types, only dist/).'
npx tsc -p client/example
node -e 'const f = require("fs"); const shown = f.readFileSync("README.md", "utf8")
  process.exit(shown.includes(f.readFileSync("client/example/app.ts", "utf8")) ? 0 : 1)' ||
  { echo 'README.md does not show client/example/app.ts as it is' >&2; exit 1; }

step '3. Run it here: sign up, read /v1/me with the token, a 404 as a typed ApiProblem.'
OUT=$(BASE=$BASE npx tsx client/example/app.ts)
printf '%s\n' "$OUT" >&2
grep -q 'has_payment_pin: false' <<<"$OUT" && grep -q '404 not_found Not found' <<<"$OUT"
