import http from 'node:http'

export type BenchRequest = {
  method?: string
  path: string
  headers?: Record<string, string>
  body?: string
}

export type BenchResponse = {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
  /** From writing the request to the last byte of the body, in microseconds. */
  micros: number
}

/**
 * A fixed set of keep-alive HTTP/1.1 connections to one origin (node:http, no extra package).
 * N loops each awaiting its own response keep exactly N requests in flight on N sockets.
 */
export class Connections {
  private readonly agent: http.Agent

  constructor(
    private readonly origin: URL,
    readonly count: number,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: count, maxFreeSockets: count })
  }

  send(req: BenchRequest): Promise<BenchResponse> {
    return new Promise((resolve, reject) => {
      const started = process.hrtime.bigint()
      const body = req.body === undefined ? undefined : Buffer.from(req.body)
      const headers: Record<string, string | number> = { ...req.headers }
      if (body) headers['content-length'] = body.length
      const request = http.request(
        {
          agent: this.agent,
          host: this.origin.hostname,
          port: this.origin.port,
          method: req.method ?? 'GET',
          path: req.path,
          headers,
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('error', reject)
          res.on('end', () => {
            const micros = Number(process.hrtime.bigint() - started) / 1000
            const status = res.statusCode ?? 0
            resolve({ status, headers: res.headers, body: Buffer.concat(chunks), micros })
          })
        },
      )
      request.on('error', reject)
      request.end(body)
    })
  }

  close() {
    this.agent.destroy()
  }
}
