import type { RequestIdVariables } from 'hono/request-id'

/** Who is calling: the person on their phone, or one of their paired TVs. */
export type Principal =
  | { kind: 'user'; userId: string; sessionId?: string }
  | { kind: 'device'; userId: string; deviceId: string; clientId: string }

export type AppEnv = {
  Bindings: Env
  Variables: RequestIdVariables & { principal: Principal | null; language: string }
}
