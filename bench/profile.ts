// CPU profiles of the Worker's isolate during a bench (`HOT_DEAL_PROFILE=<dir>`): workerd's
// inspector speaks the Chrome DevTools protocol, so the V8 profiler runs inside the isolate that
// serves the requests and its Durable Objects. The .cpuprofile files open in Chrome DevTools;
// `summarize` prints the functions with the most self time.
import { writeFileSync } from 'node:fs'
import WebSocket from 'ws'

type CallFrame = { functionName: string; url: string; lineNumber: number }
type ProfileNode = { id: number; callFrame: CallFrame; hitCount?: number }
export type CpuProfile = {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples?: number[]
  timeDeltas?: number[]
}

export type Profiler = { stop(file: string): Promise<CpuProfile>; close(): void }

/**
 * Attaches to the isolate of `worker` (Miniflare's `inspectorPort`) and starts sampling every
 * `intervalUs` (each sample stops the isolate: at 100 µs a 1 ms request runs several times slower).
 */
export async function startProfiler(
  inspectorPort: number,
  worker: string,
  intervalUs = 100,
): Promise<Profiler> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as {
    id: string
    webSocketDebuggerUrl: string
  }[]
  const target = targets.find((t) => t.id.endsWith(`:${worker}`))
  if (!target) throw new Error(`no inspector target for ${worker}: ${JSON.stringify(targets)}`)
  const ws = new WebSocket(target.webSocketDebuggerUrl)
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  let nextId = 1
  const pending = new Map<number, (result: unknown) => void>()
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as { id?: number; result?: unknown }
    if (msg.id !== undefined) pending.get(msg.id)?.(msg.result)
  })
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve) => {
      const id = nextId++
      pending.set(id, resolve)
      ws.send(JSON.stringify({ id, method, params }))
    })
  await call('Profiler.enable')
  await call('Profiler.setSamplingInterval', { interval: intervalUs })
  await call('Profiler.start')
  return {
    async stop(file) {
      const { profile } = (await call('Profiler.stop')) as { profile: CpuProfile }
      writeFileSync(file, JSON.stringify(profile))
      return profile
    },
    close: () => ws.close(),
  }
}

/** The `top` functions by self time, with their share of the samples. */
export function summarize(profile: CpuProfile, top = 25): string[] {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<string, number>()
  const deltas = profile.timeDeltas ?? []
  let total = 0
  for (const [i, id] of (profile.samples ?? []).entries()) {
    const frame = byNode.get(id)!.callFrame
    const name = `${frame.functionName || '(anonymous)'} ${frame.url.split('/').pop()}:${frame.lineNumber + 1}`
    const us = deltas[i + 1] ?? 0
    self.set(name, (self.get(name) ?? 0) + us)
    total += us
  }
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(
      ([name, us]) =>
        `${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`,
    )
}
