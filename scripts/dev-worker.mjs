// A throwaway `wrangler dev` for the tour runner (scripts/tours.mjs) and the fuzzer (fuzz/run.ts):
// the pages built, fresh secrets and the migrations in `dir` (dev-setup.mjs), the demo data when
// asked for, the local Alipay sandbox beside it (as `npm run dev` starts it, scripts/dev.mjs), and
// the Worker, resolved once it answers /healthz. The caller owns `dir` (its D1 state outlives
// stop(), e.g. for a ledger check) and removes it.
import { execFileSync, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import path from 'node:path'

const LOG_LIMIT = 20_000

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

/** Ends a detached child and everything it started (npx → wrangler → workerd). */
function stopGroup(child) {
  try {
    process.kill(-child.pid, 'SIGTERM')
  } catch {}
}

/**
 * @param {import('./dev-worker.d.mts').DevWorkerOptions} options
 * @returns {Promise<import('./dev-worker.d.mts').DevWorker>}
 */
export async function startDevWorker(options) {
  const { dir, seedProducts, testScheduled = false, showSetup = false, vars: extra = {} } = options
  const vars = path.join(dir, 'dev.vars')
  const state = path.join(dir, 'state')
  const setupStdio = showSetup ? 'inherit' : ['ignore', 'ignore', 'inherit']
  execFileSync('node', ['scripts/build-web.mjs'], { stdio: ['ignore', 'ignore', 'inherit'] })
  execFileSync(
    'node',
    ['scripts/dev-setup.mjs', '--vars-file', vars, '--persist-to', state, '--no-seed'],
    { stdio: setupStdio },
  )
  if (seedProducts !== undefined) {
    const seed = ['scripts/seed.ts', '--products', String(seedProducts), '--persist-to', state]
    execFileSync('npx', ['tsx', ...seed, '--out', path.join(dir, 'seed')], { stdio: setupStdio })
  }
  // A given port brings the next two (inspector, sandbox); none: three free ones.
  const port = options.port ?? (await freePort())
  const inspectorPort = options.port ? port + 1 : await freePort()
  const sandboxPort = options.port ? port + 2 : await freePort()
  const sandbox = spawn(
    'npx',
    ['tsx', 'sandbox/alipay/main.ts', '--port', String(sandboxPort), '--vars', vars],
    { stdio: 'ignore', detached: true },
  )
  const worker = spawn(
    'npx',
    [
      ...['wrangler', 'dev', ...(testScheduled ? ['--test-scheduled'] : []), '--ip', '127.0.0.1'],
      ...['--port', String(port), '--inspector-port', String(inspectorPort)],
      ...['--persist-to', state, '--env-file', vars],
      ...['--var', `ALIPAY_GATEWAY_URL:http://127.0.0.1:${sandboxPort}/gateway.do`],
      ...['--var', `PUBLIC_BASE_URL:http://127.0.0.1:${port}`],
      ...Object.entries(extra).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
      '--show-interactive-dev-session=false',
    ],
    {
      // Miniflare fetches `Request.cf` from the internet on every start (a stack trace offline).
      env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  )
  let log = ''
  const keep = (d) => {
    log = (log + d).slice(-LOG_LIMIT)
  }
  worker.stdout.on('data', keep)
  worker.stderr.on('data', keep)
  const stop = () => {
    stopGroup(worker)
    stopGroup(sandbox)
  }
  const base = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 180_000
  while (Date.now() < deadline && worker.exitCode === null) {
    const ok = await fetch(`${base}/healthz`).then(
      (r) => r.ok,
      () => false,
    )
    if (ok) return { base, state, vars, log: () => log, stop }
    await new Promise((r) => setTimeout(r, 500))
  }
  stop()
  throw new Error(`wrangler dev did not start on port ${port}:\n${log}`)
}
