/**
 * The application's Fastify type and the API prefix. A leaf module: it imports nothing of
 * ours, so route plugins, hooks and tests can name the app without importing
 * `build-app.ts` (which imports them back) — dependencies point down (STYLE §9).
 */
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { IncomingMessage, ServerResponse } from 'node:http'

/** The app, and every plugin scope inside it: Fastify with zod schemas as its type provider. */
export type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>

/** Where the JSON API is mounted (SPEC §2); pages and `/health` live outside it. */
export const API_PREFIX = '/api/v1'
