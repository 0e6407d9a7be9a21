declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS: import('cloudflare:test').D1Migration[]
    SCHEMA_SQL: string
    /** The Alipay sandbox's origin (test controls: /sandbox/pay, /sandbox/faults, ...). */
    ALIPAY_SANDBOX_URL: string
    /** JSON of sandbox/alipay/test-setup.ts's AlipayTestContext: keys and node:crypto vectors. */
    ALIPAY_TEST: string
    /** scripts/openapi-lint.ts's server: POST a document, get Redocly's problems back. */
    OPENAPI_LINTER_URL: string
  }
}
