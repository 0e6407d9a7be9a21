import { z } from '@hono/zod-openapi'

/** How route files describe their responses in the OpenAPI document. */

/** The problem+json body (see errors.ts); errors, request_id and other members pass through. */
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number(),
    code: z.string(),
    detail: z.string().optional(),
  })
  .passthrough()

/** `responses: { 200: json(Schema, 'What it is'), ...problems([404, 'No such thing']) }` */
export function json<T extends z.ZodTypeAny>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } }
}

/** One error response: `404: problem('Unknown deal')`. */
export function problem(description: string) {
  return { description, content: { 'application/problem+json': { schema: ProblemSchema } } }
}

export function problems(...entries: Array<[number, string]>) {
  return Object.fromEntries(entries.map(([status, description]) => [status, problem(description)]))
}
