/**
 * Builds the Fastify application from explicit dependencies (STYLE §2): schemas and
 * OpenAPI, security headers, the route gate of the policy module, problem+json errors,
 * health checks and every feature's routes. No side effects beyond the returned instance.
 */
import { randomUUID } from 'node:crypto'
import helmet from 'helmet'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify from 'fastify'
import { jsonSchemaTransform, jsonSchemaTransformObject, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import { ANY_ROLE, checkRouteAccess, type Actor, type RouteAccess } from '../policy/index.js'
import { authenticateRequest } from './auth-hook.js'
import { MethodNotAllowedError } from './errors.js'
import type { Deps } from './deps.js'
import { registerErrorHandlers } from './error-handler.js'
import { loggerOptions } from './logger.js'
import { createMethodIndex } from './method-index.js'
import { instrumentRequests, registerMetricsRoute } from './metrics.js'
import { registerNoStore } from './no-store.js'
import { serializerCompiler } from './serializer.js'
import { registerFeatureRoutes, registerPageRoutes } from './routes.js'
import { API_PREFIX, type App } from './app-types.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated actor, or null on public routes without credentials. */
    actor: Actor | null
  }
  interface FastifyContextConfig {
    /** Required on every route (STYLE §3); the app refuses to boot without it. */
    access?: RouteAccess
  }
}


export interface BuildOptions {
  /** Pino level; defaults to the config's. Tests pass 'silent'. */
  logLevel?: string
}

/** Creates the app; call `ready()` (or `listen`) before use, `close()` after. */
export async function buildApp(deps: Deps, opts: BuildOptions = {}): Promise<App> {
  const app = Fastify({
    logger: loggerOptions(opts.logLevel ?? deps.config.logLevel),
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    trustProxy: deps.config.trustProxy,
    bodyLimit: 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<ZodTypeProvider>()

  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  app.decorateRequest('actor', null)

  // Deny by default: a route without an access declaration stops the boot.
  const methods = createMethodIndex()
  app.addHook('onRoute', (route) => {
    const url = route.url ?? route.path
    methods.add(route.method, url)
    if (route.config?.access === undefined) {
      if (url.startsWith('/docs')) {
        route.config = { ...route.config, access: 'public' }
        return
      }
      throw new Error(`Route ${String(route.method)} ${url} declares no config.access`)
    }
  })
  // Before any route: it instruments each route as it is added (SPEC §11, METRICS_TOKEN).
  const metrics = instrumentRequests(app, deps)

  const behindTls = deps.config.publicUrl.startsWith('https://')
  // Security headers on every response (SPEC §6). Helmet's middleware is built once here:
  // @fastify/helmet rebuilt it (parsing every CSP directive) on each request.
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        styleSrc: ["'self'", "'unsafe-inline'"],
        scriptSrc: ["'self'"],
        frameAncestors: ["'none'"],
        // The web app previews a record's PDF in a frame from a blob: URL (web/src/shared/RecordPreview.tsx).
        frameSrc: ["'self'", 'blob:'],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        // Helmet adds `upgrade-insecure-requests` by default. Over plain HTTP (a LAN
        // address) it makes the browser ask for every script over https, which fails:
        // a blank page. Only behind TLS (SPEC §6).
        upgradeInsecureRequests: behindTls ? [] : null,
      },
    },
    // HSTS only means something behind TLS; PUBLIC_URL tells us whether we are.
    hsts: behindTls ? { maxAge: 15552000, includeSubDomains: true } : false,
    // Browsers ignore Cross-Origin-Opener-Policy on an untrustworthy (plain HTTP, not
    // localhost) origin and log a console error for every page; send it only behind TLS.
    crossOriginOpenerPolicy: behindTls,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  })
  app.addHook('onRequest', (req, reply, done) => {
    // Helmet ≥ 8.1 sets the headers synchronously and throws instead of passing an error.
    securityHeaders(req.raw, reply.raw, (err?: unknown) => {
      if (err) throw err
    })
    done()
  })

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'CareLocker API',
        version: '1.0.0',
        description: 'Patient-owned health record locker with e-prescriptions. Errors are RFC 9457 problem+json.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    // Schemas with a registry id (`.meta({ id })`, e.g. Problem) become components, referenced by `$ref`.
    transformObject: jsonSchemaTransformObject,
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })

  // Authenticate, then apply the policy module's route gate. Unknown URLs count as
  // authenticated routes (STYLE §3).
  app.addHook('onRequest', async (req) => {
    if (req.is404) {
      const allowed = methods.allowed(req.url.split('?')[0] ?? '')
      if (allowed.length > 0) throw new MethodNotAllowedError(allowed.join(', '))
    }
    const access: RouteAccess = req.is404
      ? { roles: ANY_ROLE, allowPending: true, allowWithoutSecondFactor: true }
      : (req.routeOptions.config.access ?? { roles: [] })
    req.actor = await authenticateRequest(deps, req, access === 'public')
    checkRouteAccess(req.actor, access, { mfaRequiredRoles: deps.config.mfaRequiredRoles })
  })

  registerErrorHandlers(app)
  registerNoStore(app)

  app.get('/health', { config: { access: 'public' }, schema: { hide: true } }, async () => ({ status: 'ok' }))
  app.get('/ready', { config: { access: 'public' }, schema: { hide: true } }, async (_req, reply) => {
    try {
      await deps.database.ping()
      return { status: 'ok' }
    } catch {
      return reply.code(503).type('application/problem+json').send({
        type: 'https://carelocker.dev/problems/service-unavailable',
        title: 'Service unavailable',
        status: 503,
        detail: 'The database is not answering.',
      })
    }
  })
  registerMetricsRoute(app, deps, metrics)
  // Browsers ask for it on every page; answer without an icon rather than with a 401.
  app.get('/favicon.ico', { config: { access: 'public' }, schema: { hide: true } }, async (_req, reply) =>
    reply.code(204).header('cache-control', 'public, max-age=86400').send(),
  )
  app.get(`${API_PREFIX}/openapi.json`, { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger())

  await app.register(
    async (api) => registerFeatureRoutes(api, deps),
    { prefix: API_PREFIX },
  )
  await registerPageRoutes(app, deps)

  return app
}
