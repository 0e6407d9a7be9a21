// A `wrangler dev` of its own for the end-to-end run: fresh local state in a temp dir (migrations,
// a small demo catalog, billers and bills), fresh secrets, PUBLIC_BASE_URL = its own origin, and
// the local Alipay sandbox (sandbox/alipay) beside it with fresh key pairs, as `npm run dev` does.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createAlipaySandbox } from '../sandbox/alipay/server'

export type Server = {
  base: string
  admin: string
  /** The local Alipay's origin: its buyer endpoints (`/sandbox/pay`) play the person's Alipay app. */
  alipay: string
  stop: () => Promise<void>
}

/** Payments expire quickly here, so the expired-payment page can be shown within the run. */
export const PAYMENT_TTL_SECONDS = 75
/** So do pairing codes, for the expired-code screens (the TV's and the phone's). */
export const DEVICE_CODE_TTL_SECONDS = 60

const ALIPAY_APP_ID = '2021000000000001'

/** The app's RSA key pair and the sandbox's own (as scripts/dev-setup.mjs makes them). */
function alipayKeys() {
  const bare = (key: KeyObject, type: 'pkcs8' | 'spki') =>
    key.export({ type, format: 'der' }).toString('base64')
  const app = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const sandbox = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return {
    appPrivate: bare(app.privateKey, 'pkcs8'),
    appPublic: bare(app.publicKey, 'spki'),
    sandboxPrivate: bare(sandbox.privateKey, 'pkcs8'),
    sandboxPublic: bare(sandbox.publicKey, 'spki'),
  }
}

export async function startServer(port: number): Promise<Server> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tvpay-e2e-'))
  const persist = path.join(dir, 'state')
  const admin = randomBytes(24).toString('base64url')
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'e2e', alg: 'ES256', use: 'sig' }
  const alipayKeyPairs = alipayKeys()
  const envFile = path.join(dir, '.dev.vars')
  writeFileSync(
    envFile,
    [
      `ADMIN_TOKEN=${admin}`,
      `JWT_KEYS=${JSON.stringify({ keys: [jwk] })}`,
      `PIN_PEPPER=${randomBytes(32).toString('base64url')}`,
      `BILLER_FEED_KEY=${randomBytes(32).toString('base64url')}`,
      `ALIPAY_APP_PRIVATE_KEY=${alipayKeyPairs.appPrivate}`,
      `ALIPAY_PUBLIC_KEY=${alipayKeyPairs.sandboxPublic}`,
    ].join('\n') + '\n',
    { mode: 0o600 },
  )
  const quiet = { stdio: ['ignore', 'pipe', 'pipe'] as ('ignore' | 'pipe')[] }
  execFileSync(
    'npx',
    ['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persist],
    quiet,
  )
  execFileSync(
    'npx',
    [
      'tsx',
      'scripts/seed.ts',
      '--products',
      '300',
      '--persist-to',
      persist,
      '--out',
      path.join(dir, 'seed'),
    ],
    quiet,
  )

  const base = `http://localhost:${port}`
  // Ports: wrangler on `port`, its inspector on port + 1, the Alipay sandbox on port + 2.
  const sandbox = createAlipaySandbox({
    appId: ALIPAY_APP_ID,
    appPublicKey: alipayKeyPairs.appPublic,
    alipayPrivateKey: alipayKeyPairs.sandboxPrivate,
  })
  const alipay = await sandbox.listen(port + 2, '127.0.0.1')
  const args = [
    'wrangler',
    'dev',
    '--port',
    String(port),
    '--inspector-port',
    String(port + 1),
    '--persist-to',
    persist,
    '--env-file',
    envFile,
    '--test-scheduled',
    '--var',
    `PUBLIC_BASE_URL:${base}`,
    '--var',
    `PAYMENT_TTL_SECONDS:${PAYMENT_TTL_SECONDS}`,
    '--var',
    `DEVICE_CODE_TTL_SECONDS:${DEVICE_CODE_TTL_SECONDS}`,
    '--var',
    `ALIPAY_APP_ID:${ALIPAY_APP_ID}`,
    '--var',
    `ALIPAY_GATEWAY_URL:${alipay}/gateway.do`,
  ]
  // Its own process group, so stopping it stops workerd too.
  const child: ChildProcess = spawn('npx', args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let log = ''
  child.stdout?.on('data', (d) => (log += d))
  child.stderr?.on('data', (d) => (log += d))
  const stop = async () => {
    if (child.pid && child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGTERM')
      } catch {}
      await new Promise((r) => setTimeout(r, 500))
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {}
    }
    await sandbox.close()
    rmSync(dir, { recursive: true, force: true })
  }
  const deadline = Date.now() + 90_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited:\n${log}`)
    try {
      if ((await fetch(`${base}/healthz`)).ok) return { base, admin, alipay, stop }
    } catch {}
    await new Promise((r) => setTimeout(r, 500))
  }
  await stop()
  throw new Error(`wrangler dev did not answer /healthz in 90 s:\n${log}`)
}
