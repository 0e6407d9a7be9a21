// Vitest globalSetup (Node): fresh key pairs, the Alipay sandbox on an ephemeral 127.0.0.1 port,
// and RSA2 vectors signed by node:crypto, handed to the Workers pool through provide()/inject().
// The Worker under test reaches the sandbox with a real fetch to ALIPAY_GATEWAY_URL.
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import type { TestProject } from 'vitest/node'
import { createAlipaySandbox } from './server'
import { sign } from './signing'

export type AlipayTestKeys = {
  /** PKCS#8 PEM, PKCS#1 PEM, and both as bare base64 (as Alipay's key tool prints them). */
  privatePkcs8Pem: string
  privatePkcs1Pem: string
  privatePkcs8Bare: string
  privatePkcs1Bare: string
  publicPem: string
  publicBare: string
}

export type AlipayTestContext = {
  appId: string
  gatewayUrl: string
  sandboxUrl: string
  app: AlipayTestKeys
  alipay: AlipayTestKeys
  /** Texts and their RSA2 signatures made by node:crypto with the app's private key. */
  vectors: { content: string; signature: string }[]
}

declare module 'vitest' {
  export interface ProvidedContext {
    alipay: AlipayTestContext
  }
}

function keyPair(): { keys: AlipayTestKeys; privateKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const bare = (pem: string) => pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '')
  const privatePkcs8Pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
  const privatePkcs1Pem = privateKey.export({ type: 'pkcs1', format: 'pem' }) as string
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }) as string
  return {
    privateKey,
    keys: {
      privatePkcs8Pem,
      privatePkcs1Pem,
      privatePkcs8Bare: bare(privatePkcs8Pem),
      privatePkcs1Bare: bare(privatePkcs1Pem),
      publicPem,
      publicBare: bare(publicPem),
    },
  }
}

const VECTOR_TEXTS = [
  '',
  'a=1',
  'app_id=2021000000000001&biz_content={"out_trade_no":"pay_1","total_amount":"88.88","subject":"小米电视 65 英寸"}&charset=utf-8&method=alipay.trade.precreate&notify_url=https://tvpay.example/v1/providers/alipay/notify&sign_type=RSA2&timestamp=2026-12-05 18:30:00&version=1.0',
  '{"code":"10000","msg":"Success","out_trade_no":"pay_1","qr_code":"https:\\/\\/qr.alipay.com\\/bax03431ljhokirwl38f00a7"}',
  'emoji 😀 and ünïcödé & = + % %20',
]

export default async function setup(project: TestProject) {
  const appId = '2021000000000001'
  const app = keyPair()
  const alipay = keyPair()
  const sandbox = createAlipaySandbox({
    appId,
    appPublicKey: app.keys.publicBare,
    alipayPrivateKey: alipay.keys.privatePkcs1Bare,
  })
  const sandboxUrl = await sandbox.listen(0)
  project.provide('alipay', {
    appId,
    gatewayUrl: `${sandboxUrl}/gateway.do`,
    sandboxUrl,
    app: app.keys,
    alipay: alipay.keys,
    vectors: VECTOR_TEXTS.map((content) => ({ content, signature: sign(app.privateKey, content) })),
  })
  return () => sandbox.close()
}
