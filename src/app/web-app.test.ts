import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import Fastify from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../test/helpers/test-app.js'
import type { App } from './app-types.js'
import { webAppRoutes } from './web-app.js'

let t: TestApp
let dir: string
let web: App
beforeAll(async () => {
  t = await startTestApp()
  dir = await mkdtemp(path.join(os.tmpdir(), 'carelocker-web-'))
  await mkdir(path.join(dir, 'assets'))
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><div id="root"></div>')
  await writeFile(path.join(dir, 'assets', 'index-abc123.js'), 'console.log(1)')
  await writeFile(path.join(dir, 'assets', 'index-abc123.js.gz'), gzipSync('console.log(1)'))
  web = Fastify().withTypeProvider<ZodTypeProvider>()
  await web.register(webAppRoutes, { dir })
  await web.ready()
})
afterAll(async () => {
  await web?.close()
  await t?.close()
  await rm(dir, { recursive: true, force: true })
})

describe('the web app (dist/web)', () => {
  it('serves hashed assets for a year, immutable, and index.html with no-cache on every client route', async () => {
    const asset = await web.inject({ method: 'GET', url: '/assets/index-abc123.js' })
    expect(asset.statusCode).toBe(200)
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(asset.headers['content-type']).toMatch(/javascript/)
    for (const url of ['/', '/login', '/register', '/patient', '/patient/records', '/doctor/patients/123', '/pharmacist', '/admin/system']) {
      const res = await web.inject({ method: 'GET', url })
      expect(res.statusCode, url).toBe(200)
      expect(res.headers['cache-control']).toBe('no-cache')
      expect(res.body).toContain('id="root"')
    }
  })

  it('sends the precompressed file to a browser that accepts it', async () => {
    const res = await web.inject({ method: 'GET', url: '/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip' } })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-encoding']).toBe('gzip')
    expect(res.headers.vary).toMatch(/accept-encoding/i)
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(res.headers['content-type']).toMatch(/javascript/)
  })

  it('does not escape the assets folder', async () => {
    const res = await web.inject({ method: 'GET', url: '/assets/..%2findex.html' })
    expect(res.statusCode).not.toBe(200)
  })

  it('in the real app, client routes are public pages and nothing else falls back to index.html', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/patient/records' })
    // 200 with the built app, 503 with a hint when dist/web is not built (server tests need no build).
    expect([200, 503]).toContain(page.statusCode)
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self'/)
    const api = await t.app.inject({ method: 'GET', url: '/api/v1/nope' })
    expect(api.headers['content-type']).toMatch(/application\/problem\+json/)
    const share = await t.app.inject({ method: 'GET', url: '/s/aaaaaaaaaaaaaaaaaaaaaaaa' })
    expect(share.headers['content-type']).toMatch(/text\/html/)
    expect(share.body).not.toContain('id="root"')
    const other = await t.app.inject({ method: 'GET', url: '/somewhere-else' })
    expect(other.headers['content-type']).toMatch(/application\/problem\+json/)
    const missing = await t.app.inject({ method: 'GET', url: '/assets/does-not-exist-123.js' })
    expect(missing.statusCode).toBe(404)
    expect(missing.body).not.toContain('id="root"')
  })
})
