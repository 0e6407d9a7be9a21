// The household channel's bench (docs/channel.md): phone-to-TV delivery latency against a
// WebSocket echoed by the same Worker, with 1 and 200 connected households, and the memory an
// idle connection costs. Run by `npm run bench` (alone: `npm run bench -- --only channel`).
//
// The Worker is the deploy bundle (bench/worker.js) under Miniflare, reached on its own socket.
// Its D1 is a fresh one with the real migrations (no catalog needed); households are written
// straight into it and their tokens signed here with the run's own key.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { readD1Migrations } from '@cloudflare/vitest-pool-workers'
import { Miniflare } from 'miniflare'
import WebSocket from 'ws'
import { DEVICE_AUDIENCE, signAccessToken, USER_AUDIENCE } from '../src/auth/tokens'
import { RATE_FRAMES, RATE_WINDOW_MS } from '../src/channel/protocol'
import { liveSessionRows } from './session-rows'
import { benchSecrets, bundleWorker } from './wrangler-options'
import { quantile } from './quantile'

export type ChannelPlan = {
  /** Timed deliveries with 1 household (and as many echoes, interleaved one for one). */
  samples: number
  /** Timed deliveries with `households` connected: BURST per household, households in turn. */
  samplesMany: number
  warmup: number
  households: number
  idleHouseholds: number
}

export const CHANNEL_PLAN: ChannelPlan = {
  samples: 600,
  samplesMany: 800,
  warmup: 40,
  households: 200,
  idleHouseholds: 500,
}
export const CHANNEL_QUICK: ChannelPlan = {
  samples: 150,
  samplesMany: 240,
  warmup: 20,
  households: 200,
  idleHouseholds: 150,
}

/** Added p99 over the echo the issue aims for, in ms. */
export const ADDED_P99_TARGET_MS = 5

type Stats = { samples: number; p50Ms: number; p90Ms: number; p99Ms: number; maxMs: number }

export type ChannelLevel = {
  households: number
  echo: Stats
  /** Every timed delivery. */
  channel: Stats
  /** Deliveries to a household that sent a frame within WAKE_IDLE_MS (typing). */
  typing: Stats
  /** First frames after WAKE_IDLE_MS of quiet: the object wakes from hibernation. */
  wake: Stats | null
  /** typing over echo */
  addedP50Ms: number
  addedP99Ms: number
}

export type ChannelResult = {
  plan: ChannelPlan
  /** One frame every this many ms: a phone may send 20 a second (src/channel/protocol.ts). */
  pacingMs: number
  levels: ChannelLevel[]
  memory: {
    sockets: number
    households: number
    rssBeforeMb: number
    rssConnectedMb: number
    rssIdleMb: number
    idleSeconds: number
    perSocketKb: number
    perSocketIdleKb: number
    /** The same count of idle sockets echoed by the Worker (no Durable Object): the floor. */
    echoPerSocketKb: number
  } | null
  seconds: number
}

/** Under the phone's rate limit (20 frames a second) with room for timer jitter. */
const PACING_MS = Math.ceil((RATE_WINDOW_MS / RATE_FRAMES) * 1.1)
const IDLE_SECONDS = 15
const BURST = 4
/** workerd hibernates a Durable Object whose sockets were all quiet for about 10 s. */
const WAKE_IDLE_MS = 11_000

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const nowUs = () => Number(process.hrtime.bigint() / 1000n)

function stats(micros: number[]): Stats {
  const sorted = [...micros].sort((a, b) => a - b)
  const q = (p: number) => quantile(sorted, p)
  const ms = (us: number) => Math.round(us) / 1000
  return {
    samples: sorted.length,
    p50Ms: ms(q(0.5)),
    p90Ms: ms(q(0.9)),
    p99Ms: ms(q(0.99)),
    maxMs: ms(sorted[sorted.length - 1]),
  }
}

/** A client socket whose next text frame can be awaited. */
class Client {
  private waiting: ((frame: string) => void) | null = null
  private readonly queue: string[] = []
  closed = false

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = data.toString()
      if (this.waiting) {
        const w = this.waiting
        this.waiting = null
        w(text)
      } else this.queue.push(text)
    })
    ws.on('close', () => {
      this.closed = true
    })
  }

  static open(url: string): Promise<Client> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false })
      const client = new Client(ws)
      ws.once('open', () => resolve(client))
      ws.once('error', reject)
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade ${res.statusCode}`)))
    })
  }

  next(timeoutMs = 5000): Promise<string> {
    const queued = this.queue.shift()
    if (queued !== undefined) return Promise.resolve(queued)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no frame within 5 s')), timeoutMs)
      this.waiting = (frame) => {
        clearTimeout(timer)
        resolve(frame)
      }
    })
  }

  /** The next frame of this type (presence and the like are skipped). */
  async nextOf(type: string): Promise<string> {
    for (;;) {
      const frame = await this.next()
      if (frame.includes(`"type":"${type}"`)) return frame
    }
  }

  drain() {
    this.queue.length = 0
  }

  close() {
    this.ws.close(1000)
  }
}

type Household = { phone: Client; tv: Client }

/** RSS of the workerd process Miniflare started (a child of this process), in MB. */
function workerdRssMb(): number {
  let total = 0
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8')
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1])
      const name = /^Name:\s+(\S+)/m.exec(status)?.[1]
      if (ppid === process.pid && name === 'workerd') {
        total += Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0) / 1024
      }
    } catch {
      // the process went away
    }
  }
  if (total === 0) throw new Error('workerd process not found under this process')
  return total
}

export async function runChannelBench(
  scriptPath: string,
  plan: ChannelPlan,
  log: (line: string) => void,
): Promise<ChannelResult> {
  const started = Date.now()
  const work = mkdtempSync(path.join(tmpdir(), 'tvpay-channel-bench-'))
  const secrets = benchSecrets()
  const mf = new Miniflare({
    ...bundleWorker(scriptPath, { name: 'channel', bindings: secrets }),
    d1Persist: path.join(work, 'd1'),
    durableObjectsPersist: path.join(work, 'do'),
    cf: false,
    unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }],
    handleRuntimeStdio(stdout: Readable, stderr: Readable) {
      stdout.resume()
      stderr.resume()
    },
  } as never)
  try {
    await mf.ready
    const origin = await mf.unsafeGetDirectURL('channel')
    const wsOrigin = origin.href.replace(/^http/, 'ws').replace(/\/$/, '')
    const db = await mf.getD1Database('DB')
    for (const migration of await readD1Migrations('migrations')) {
      for (const query of migration.queries) await db.prepare(query).run()
    }

    let seq = 0
    /** A user with a live session and one paired TV, written straight into D1. */
    async function createHouseholds(n: number) {
      const now = Date.now()
      const rows = []
      const tokens: Array<{ user: string; tv: string }> = []
      for (let i = 0; i < n; i++) {
        const k = String(++seq).padStart(6, '0')
        const [userId, familyId, deviceId] = [`usr_bench${k}`, `rt_bench${k}`, `dev_bench${k}`]
        rows.push(
          ...liveSessionRows(db, {
            userId,
            familyId,
            phone: `+86139${k}00`,
            tokenHash: `bench-${k}`,
            now,
          }),
          db
            .prepare(
              `INSERT INTO devices (id, user_id, client_id, name, token_version, created_at)
               VALUES (?, ?, 'skyworth-tv', 'Living room TV', 1, ?)`,
            )
            .bind(deviceId, userId, now),
        )
        const user = await signAccessToken(secrets, {
          aud: USER_AUDIENCE,
          sub: userId,
          sid: familyId,
        })
        const tv = await signAccessToken(secrets, {
          aud: DEVICE_AUDIENCE,
          sub: deviceId,
          uid: userId,
          ver: 1,
          cid: 'skyworth-tv',
        })
        tokens.push({ user, tv })
      }
      for (let i = 0; i < rows.length; i += 300) await db.batch(rows.slice(i, i + 300))
      return tokens
    }

    async function open(token: string): Promise<Client> {
      const res = await fetch(new URL('/v1/channel/tickets', origin), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      })
      if (res.status !== 201) throw new Error(`ticket: ${res.status} ${await res.text()}`)
      const { ticket } = (await res.json()) as { ticket: string }
      const client = await Client.open(`${wsOrigin}/v1/channel?ticket=${ticket}`)
      await client.nextOf('presence')
      return client
    }

    async function connect(tokens: Array<{ user: string; tv: string }>, atOnce = 10) {
      const homes: Household[] = []
      for (let i = 0; i < tokens.length; i += atOnce) {
        const batch = await Promise.all(
          tokens.slice(i, i + atOnce).map(async (t) => {
            const tv = await open(t.tv)
            const phone = await open(t.user)
            return { tv, phone }
          }),
        )
        homes.push(...batch)
      }
      for (const h of homes) {
        h.tv.drain()
        h.phone.drain()
      }
      return homes
    }

    const echo = await Client.open(`${wsOrigin}/__bench/echo`)

    /**
     * One echo and one phone-to-TV delivery per tick (their order alternating), a tick every
     * PACING_MS: both sides see the same moment of the machine. Households type in turn, a burst
     * of BURST frames each (a word on the phone's keyboard). A frame to a household idle for
     * WAKE_IDLE_MS or more finds its object hibernated: it is counted apart, as a wake-up.
     */
    async function measure(homes: Household[], samples: number, warmup: number) {
      const echoUs: number[] = []
      const typingUs: number[] = []
      const wakeUs: number[] = []
      const lastSent = new Map<Household, number>()
      for (let i = 0; i < warmup + samples; i++) {
        const tick = Date.now()
        const home = homes[Math.floor(i / BURST) % homes.length]
        const idleMs = tick - (lastSent.get(home) ?? 0)
        lastSent.set(home, tick)
        const timeEcho = async () => {
          const t0 = nowUs()
          echo.ws.send(`{"type":"input.text","text":"echo ${i}"}`)
          await echo.next()
          return nowUs() - t0
        }
        const timeChannel = async () => {
          const t0 = nowUs()
          home.phone.ws.send(`{"type":"input.text","text":"q ${i}"}`)
          await home.tv.nextOf('input.text')
          return nowUs() - t0
        }
        const [e, c] =
          i % 2 === 0
            ? [await timeEcho(), await timeChannel()]
            : [await timeChannel(), await timeEcho()].reverse()
        if (i >= warmup) {
          echoUs.push(e)
          ;(idleMs >= WAKE_IDLE_MS ? wakeUs : typingUs).push(c)
        }
        await sleep(Math.max(0, PACING_MS - (Date.now() - tick)))
      }
      const echoStats = stats(echoUs)
      const typing = stats(typingUs)
      const level: ChannelLevel = {
        households: homes.length,
        echo: echoStats,
        channel: stats([...typingUs, ...wakeUs]),
        typing,
        wake: wakeUs.length > 0 ? stats(wakeUs) : null,
        addedP50Ms: Number((typing.p50Ms - echoStats.p50Ms).toFixed(3)),
        addedP99Ms: Number((typing.p99Ms - echoStats.p99Ms).toFixed(3)),
      }
      log(
        `  channel @${homes.length} household(s): typing p50 ${typing.p50Ms} ms, p99 ` +
          `${typing.p99Ms} ms; echo p50 ${echoStats.p50Ms}, p99 ${echoStats.p99Ms}; added p50 ` +
          `${level.addedP50Ms} ms, p99 ${level.addedP99Ms} ms` +
          (level.wake
            ? `; after idle (wake) p50 ${level.wake.p50Ms}, p99 ${level.wake.p99Ms}`
            : ''),
      )
      return level
    }

    log(`Channel: one frame every ${PACING_MS} ms, bursts of ${BURST} per household…`)
    const first = await connect(await createHouseholds(1))
    const levels = [await measure(first, plan.samples, plan.warmup)]
    const rest = await connect(await createHouseholds(plan.households - 1))
    const all = [...first, ...rest]
    // Long enough idle that every household's first burst wakes it, as in a real evening.
    await sleep(WAKE_IDLE_MS)
    levels.push(await measure(all, plan.samplesMany, 0))

    let memory: ChannelResult['memory'] = null
    if (plan.idleHouseholds > 0) {
      const tokens = await createHouseholds(plan.idleHouseholds)
      // The runtime's own cost of a socket, for comparison: as many idle echo sockets.
      await sleep(2000)
      const rssEchoBeforeMb = workerdRssMb()
      const echoes: Client[] = []
      for (let i = 0; i < plan.idleHouseholds * 2; i += 20) {
        const n = Math.min(20, plan.idleHouseholds * 2 - i)
        echoes.push(
          ...(await Promise.all(
            Array.from({ length: n }, () => Client.open(`${wsOrigin}/__bench/echo`)),
          )),
        )
      }
      await sleep(2000)
      const rssBeforeMb = workerdRssMb()
      const echoPerSocketKb = Math.round(((rssBeforeMb - rssEchoBeforeMb) * 1024) / echoes.length)
      const idle = await connect(tokens)
      await sleep(2000)
      const rssConnectedMb = workerdRssMb()
      log(`  ${idle.length * 2} idle sockets: waiting ${IDLE_SECONDS} s (hibernation)…`)
      await sleep(IDLE_SECONDS * 1000)
      const rssIdleMb = workerdRssMb()
      const sockets = idle.length * 2
      const kb = (mb: number) => Math.round(((mb - rssBeforeMb) * 1024) / sockets)
      memory = {
        sockets,
        households: idle.length,
        rssBeforeMb: Math.round(rssBeforeMb),
        rssConnectedMb: Math.round(rssConnectedMb),
        rssIdleMb: Math.round(rssIdleMb),
        idleSeconds: IDLE_SECONDS,
        perSocketKb: kb(rssConnectedMb),
        perSocketIdleKb: kb(rssIdleMb),
        echoPerSocketKb,
      }
      log(
        `  memory: ${sockets} idle sockets (${idle.length} households): workerd RSS ` +
          `${memory.rssBeforeMb} → ${memory.rssConnectedMb} MB (${memory.perSocketKb} KB a socket), ` +
          `${memory.rssIdleMb} MB after ${IDLE_SECONDS} s idle (${memory.perSocketIdleKb} KB)`,
      )
      const lost = idle.filter((h) => h.phone.closed || h.tv.closed).length
      if (lost > 0) log(`  (${lost} idle households lost a socket while idle)`)
      log(`  (an idle echo socket of the Worker itself: ${echoPerSocketKb} KB)`)
      for (const h of idle) {
        h.phone.close()
        h.tv.close()
      }
      for (const e of echoes) e.close()
    }
    for (const h of all) {
      h.phone.close()
      h.tv.close()
    }
    echo.close()
    return {
      plan,
      pacingMs: PACING_MS,
      levels,
      memory,
      seconds: Math.round((Date.now() - started) / 1000),
    }
  } finally {
    await mf.dispose()
    rmSync(work, { recursive: true, force: true })
  }
}

/** The rows `npm run bench` prints for the channel. */
export function formatChannel(result: ChannelResult): string {
  const lines = [
    '| households | frames | echo p50 | echo p99 | phone→TV p50 | phone→TV p99 | added p50 | added p99 |',
    '| ---------- | ------ | -------- | -------- | ------------ | ------------ | --------- | --------- |',
  ]
  for (const l of result.levels) {
    const ok = l.addedP99Ms < ADDED_P99_TARGET_MS ? '✓' : '✗'
    const row = (what: string, s: Stats, mark = '') =>
      `| ${l.households} | ${what} (${s.samples}) | ${l.echo.p50Ms} ms | ${l.echo.p99Ms} ms | ` +
      `${s.p50Ms} ms | ${s.p99Ms} ms | ${(s.p50Ms - l.echo.p50Ms).toFixed(2)} ms | ` +
      `${(s.p99Ms - l.echo.p99Ms).toFixed(2)} ms${mark} |`
    lines.push(row('typing', l.typing, ` ${ok}`))
    if (l.wake) lines.push(row('first after idle (wakes)', l.wake))
  }
  const m = result.memory
  if (m) {
    lines.push(
      '',
      `Memory: ${m.sockets} idle sockets (${m.households} households, a phone and a TV each): ` +
        `${m.perSocketKb} KB a socket just connected, ${m.perSocketIdleKb} KB after ` +
        `${m.idleSeconds} s idle (workerd RSS ${m.rssBeforeMb} → ${m.rssConnectedMb} → ` +
        `${m.rssIdleMb} MB); an idle socket echoed by the Worker alone: ${m.echoPerSocketKb} KB.`,
    )
  }
  lines.push(`Target: added p99 of typing under ${ADDED_P99_TARGET_MS} ms over the echo.`)
  return lines.join('\n')
}
