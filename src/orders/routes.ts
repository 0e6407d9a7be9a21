import { OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../env'

export const orderRoutes = new OpenAPIHono<AppEnv>()
