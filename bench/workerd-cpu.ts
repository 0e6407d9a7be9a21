// CPU time of the Miniflare runtime a bench started: the `workerd serve` process descending from
// this one, every thread of it (the Worker's isolate, its Durable Objects and D1's simulator all
// run there). Read from /proc/<pid>/task/*/schedstat, so Linux only.
import { readdirSync, readFileSync } from 'node:fs'

/** Our Miniflare's workerd: the one `workerd` process descending from this one. */
export function workerdPid(): number {
  const isOurs = (pid: number) => {
    for (let at = pid; at > 1; ) {
      if (at === process.pid) return true
      const stat = readFileSync(`/proc/${at}/stat`, 'utf8')
      at = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    }
    return false
  }
  const pids = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('workerd') && isOurs(pid)
      } catch {
        return false
      }
    })
  if (pids.length !== 1) throw new Error(`expected one workerd of ours, found ${pids.join(', ')}`)
  return pids[0]!
}

/** CPU time of every thread of `pid`, in ns (schedstat's first field). */
export function cpuNs(pid: number): number {
  let sum = 0
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      sum += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0])
    } catch {
      // the thread ended
    }
  }
  return sum
}
