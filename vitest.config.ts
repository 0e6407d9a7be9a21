import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'
import type { AlipayTestContext } from './sandbox/alipay/test-setup'

/** Fresh ES256 keys per run: nothing secret is committed, and rotation is exercised (two keys). */
function testJwks() {
  const keys = ['test-old', 'test-current'].map((kid) => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    return { ...privateKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' }
  })
  return JSON.stringify({ keys })
}

/** The Worker's Alipay config points at the sandbox that sandbox/alipay/test-setup.ts started. */
function alipayBindings(alipay: AlipayTestContext) {
  return {
    ALIPAY_APP_ID: alipay.appId,
    ALIPAY_GATEWAY_URL: alipay.gatewayUrl,
    ALIPAY_APP_PRIVATE_KEY: alipay.app.privatePkcs8Bare,
    ALIPAY_PUBLIC_KEY: alipay.alipay.publicPem,
    ALIPAY_SANDBOX_URL: alipay.sandboxUrl,
    ALIPAY_TEST: JSON.stringify(alipay),
  }
}

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, 'migrations'))
  return {
    plugins: [
      cloudflareTest(({ inject }) => ({
        wrangler: { configPath: './wrangler.toml' },
        miniflare: {
          bindings: {
            ...alipayBindings(inject('alipay')),
            OPENAPI_LINTER_URL: inject('openapiLinter'),
            TEST_MIGRATIONS: migrations,
            SCHEMA_SQL: readFileSync('schema.sql', 'utf8'),
            // Not JWT_ISSUER: tests can tell which of the two a URL was built from.
            PUBLIC_BASE_URL: 'https://tv.tvpay.test',
            CORS_ORIGINS: 'https://tv.partner.test, https://m.partner.test',
            ADMIN_TOKEN: 'test-admin-token-0123456789abcdef',
            JWT_KEYS: testJwks(),
            PIN_PEPPER: randomBytes(32).toString('base64url'),
            BILLER_FEED_KEY: randomBytes(32).toString('base64url'),
          },
        },
      })),
    ],
    test: {
      globalSetup: ['./sandbox/alipay/test-setup.ts', './scripts/openapi-lint.ts'],
      setupFiles: ['./tests/setup.ts'],
      include: ['tests/**/*.test.ts'],
      testTimeout: 30_000,
      silent: 'passed-only' as const,
    },
  }
})
