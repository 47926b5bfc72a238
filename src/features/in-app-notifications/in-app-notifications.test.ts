/**
 * In-app notifications (SPEC §10 "Notifications") through HTTP on the engine under test: the
 * list, unread count and read marks of one's own notifications, bad input, the single-use
 * stream ticket, and the live stream on a real listener (events arrive, a closed connection
 * leaves the hub, a revoked session ends the stream). The consultation events are raised here;
 * the other features' events are tested in in-app-notifications.events.test.ts.
 */
import type { AddressInfo } from 'node:net'
import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAdmin, loginAs, registerUser, registerVerified, type TestUser } from '../../../test/helpers/factories.js'
import { openSse } from '../../../test/helpers/sse-client.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'
import { waitUntil } from '../../../test/helpers/wait.js'
import { redactUrl } from '../../app/logger.js'
import { streamHubOf } from './in-app-notifications.routes.js'
import { MAX_STREAMS_PER_USER } from './stream-hub.js'

let t: TestApp
let admin: TestUser
let base: string

beforeAll(async () => {
  t = await startTestApp()
  admin = await createAdmin(t)
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await t?.close()
})

const API = '/api/v1'
const call = (u: TestUser | null, method: InjectOptions['method'], url: string, payload?: unknown) =>
  t.app.inject({ method, url: `${API}${url}`, headers: u ? u.headers : {}, ...(payload === undefined ? {} : { payload: payload as object }) })

async function ok<T = any>(res: Awaited<ReturnType<typeof call>>, status = 200): Promise<T> {
  expect(res.statusCode, res.body).toBe(status)
  return res.json() as T
}

interface Item {
  id: string
  type: string
  patientId: string | null
  resource: { type: string; id: string } | null
  data: Record<string, unknown>
  createdAt: string
  readAt: string | null
}

const list = async (u: TestUser, query = '') => ok<{ items: Item[]; nextCursor: string | null }>(await call(u, 'GET', `/notifications${query}`))
const unread = async (u: TestUser) => (await ok<{ count: number }>(await call(u, 'GET', '/notifications/unread-count'))).count
const ticket = async (u: TestUser) => ok<{ ticket: string; expiresAt: string }>(await call(u, 'POST', '/notifications/stream-ticket'), 201)
const stream = async (u: TestUser) => openSse(`${base}${API}/notifications/stream?ticket=${(await ticket(u)).ticket}`)

/** A patient's request to a verified doctor; returns the consultation id. */
async function request(p: TestUser, d: TestUser): Promise<string> {
  return (await ok<{ id: string }>(await call(p, 'POST', '/consultations', { doctorId: d.id }), 201)).id
}

describe('consultation events', () => {
  it('a request tells the doctor; an approval tells the patient, with the doctor named', async () => {
    const p = await registerUser(t)
    const d = await registerVerified(t, 'doctor', admin)
    const id = await request(p, d)
    const [asked] = (await list(d)).items
    expect(asked).toMatchObject({ type: 'consultation.requested', patientId: p.id, resource: { type: 'consultation', id }, readAt: null })
    expect(asked?.data.patientName).toEqual(expect.any(String))
    expect((await list(p)).items).toEqual([])
    await ok(await call(d, 'POST', `/consultations/${id}/approve`))
    const [approved] = (await list(p)).items
    expect(approved).toMatchObject({ type: 'consultation.approved', patientId: p.id, resource: { type: 'consultation', id }, data: { doctorName: 'Test doctor' } })
    expect((await list(d)).items.map((n) => n.type)).toEqual(['consultation.requested'])
  })

  it('a rejection tells the patient; an ending tells the side that did not end it; a withdrawn request tells no one', async () => {
    const p = await registerUser(t)
    const d = await registerVerified(t, 'doctor', admin)
    await ok(await call(d, 'POST', `/consultations/${await request(p, d)}/reject`))
    expect((await list(p)).items.map((n) => n.type)).toEqual(['consultation.rejected'])

    const second = await request(p, d)
    await ok(await call(d, 'POST', `/consultations/${second}/approve`))
    await ok(await call(p, 'POST', `/consultations/${second}/end`))
    expect((await list(d)).items.map((n) => n.type)).toEqual(['consultation.ended', 'consultation.requested', 'consultation.requested'])

    const third = await request(p, d)
    await ok(await call(d, 'POST', `/consultations/${third}/approve`))
    await ok(await call(d, 'POST', `/consultations/${third}/end`))
    expect((await list(p)).items.map((n) => n.type)).toEqual(['consultation.ended', 'consultation.approved', 'consultation.approved', 'consultation.rejected'])

    const before = (await list(d)).items.length
    await ok(await call(p, 'POST', `/consultations/${await request(p, d)}/end`)) // withdrawn while pending
    expect((await list(d)).items.length).toBe(before + 1) // its request only
  })
})

describe('the list, the unread count and read marks', () => {
  it('lists newest first in keyset pages, filters unread, counts unread, and marks by ids or all', async () => {
    const p = await registerUser(t)
    const d = await registerVerified(t, 'doctor', admin)
    for (let i = 0; i < 3; i++) await ok(await call(d, 'POST', `/consultations/${await request(p, d)}/reject`))
    const all = (await list(p)).items
    expect(all).toHaveLength(3)
    expect(await unread(p)).toBe(3)

    const first = await list(p, '?limit=2')
    expect(first.items.map((n) => n.id)).toEqual(all.slice(0, 2).map((n) => n.id))
    const second = await list(p, `?limit=2&cursor=${first.nextCursor}`)
    expect(second.items.map((n) => n.id)).toEqual([all[2]?.id])
    expect(second.nextCursor).toBeNull()

    const marked = await ok(await call(p, 'POST', '/notifications/read', { ids: [all[0]?.id] }))
    expect(marked).toEqual({ marked: 1, unreadCount: 2 })
    expect((await list(p, '?unread=true')).items.map((n) => n.id)).toEqual(all.slice(1).map((n) => n.id))
    expect((await list(p, '?unread')).items).toHaveLength(2)
    expect((await list(p)).items[0]?.readAt).toEqual(expect.any(String))

    expect(await ok(await call(p, 'POST', '/notifications/read', { all: true }))).toEqual({ marked: 2, unreadCount: 0 })
    expect(await unread(p)).toBe(0)
    expect((await list(p, '?unread=true')).items).toEqual([])
  })

  it("another user's ids are ignored, never marked, and their notifications never listed", async () => {
    const p = await registerUser(t)
    const other = await registerUser(t)
    const d = await registerVerified(t, 'doctor', admin)
    await ok(await call(d, 'POST', `/consultations/${await request(p, d)}/reject`))
    const [theirs] = (await list(p)).items
    expect(await ok(await call(other, 'POST', '/notifications/read', { ids: [theirs?.id] }))).toEqual({ marked: 0, unreadCount: 0 })
    expect(await ok(await call(d, 'POST', '/notifications/read', { ids: [theirs?.id] }))).toMatchObject({ marked: 0 })
    expect(await unread(p)).toBe(1)
    expect((await list(other)).items).toEqual([])
  })

  it('bad input is a 400 problem and changes nothing; no credentials is 401', async () => {
    const p = await registerUser(t)
    const d = await registerVerified(t, 'doctor', admin)
    await ok(await call(d, 'POST', `/consultations/${await request(p, d)}/reject`))
    const [n] = (await list(p)).items
    for (const body of [{}, { ids: [n?.id], all: true }, { all: false }, { ids: [] }, { ids: ['not-a-uuid'] }, { ids: n?.id }, { all: true, extra: 1 }, { all: 'true' }]) {
      const res = await call(p, 'POST', '/notifications/read', body)
      expect(res.statusCode, JSON.stringify(body)).toBe(400)
      expect(res.headers['content-type']).toContain('application/problem+json')
    }
    expect(await unread(p)).toBe(1)
    for (const q of ['?limit=0', '?limit=101', '?cursor=bogus', '?unread=maybe', '?other=1']) {
      expect((await call(p, 'GET', `/notifications${q}`)).statusCode, q).toBe(400)
    }
    expect((await call(null, 'GET', '/notifications')).statusCode).toBe(401)
    expect((await call(null, 'GET', '/notifications/unread-count')).statusCode).toBe(401)
    expect((await call(null, 'POST', '/notifications/read', { all: true })).statusCode).toBe(401)
    expect((await call(null, 'POST', '/notifications/stream-ticket')).statusCode).toBe(401)
  })

  it('every role has its own list, pending doctors included', async () => {
    const pending = await registerUser(t, 'doctor')
    const pharmacist = await registerVerified(t, 'pharmacist', admin)
    for (const u of [pending, pharmacist, admin]) {
      expect((await list(u)).items).toEqual([])
      expect(await unread(u)).toBe(0)
    }
  })
})

describe('stream tickets', () => {
  it('a ticket lasts 60 s, is stored only as its SHA-256, and works once (401 when reused)', async () => {
    const p = await registerUser(t)
    const { ticket: raw, expiresAt } = await ticket(p)
    expect(raw).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const ttl = new Date(expiresAt).getTime() - Date.now()
    expect(ttl).toBeGreaterThan(50_000)
    expect(ttl).toBeLessThanOrEqual(60_000)
    const stored = await t.deps.db.selectFrom('notificationStreamTickets').selectAll().where('userId', '=', p.id).execute()
    expect(stored).toHaveLength(1)
    expect(stored[0]?.ticketHash).not.toContain(raw)
    expect(stored[0]?.ticketHash).toMatch(/^[0-9a-f]{64}$/)

    const first = await openSse(`${base}${API}/notifications/stream?ticket=${raw}`)
    expect(first.status).toBe(200)
    first.close()
    const again = await t.app.inject({ method: 'GET', url: `${API}/notifications/stream?ticket=${raw}` })
    expect(again.statusCode).toBe(401)
    expect(again.headers['content-type']).toContain('application/problem+json')
    expect(again.json().type).toBe('https://carelocker.dev/problems/invalid-ticket')
  })

  it('the request log never carries the ticket (the query string is dropped)', () => {
    expect(redactUrl('/api/v1/notifications/stream?ticket=SeCrEtTiCkEt')).toBe('/api/v1/notifications/stream')
  })

  it('an expired, unknown or missing ticket, or an access token in its place, is refused', async () => {
    const p = await registerUser(t)
    const { ticket: raw } = await ticket(p)
    await t.deps.db.updateTable('notificationStreamTickets').set({ expiresAt: new Date(Date.now() - 1000) }).where('userId', '=', p.id).execute()
    const get = (q: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url: `${API}/notifications/stream${q}`, headers })
    expect((await get(`?ticket=${raw}`)).statusCode).toBe(401)
    expect((await get('?ticket=nope')).statusCode).toBe(401)
    expect((await get(`?ticket=${p.accessToken}`)).statusCode).toBe(401)
    expect((await get('')).statusCode).toBe(400)
    expect((await get(`?access_token=${p.accessToken}`)).statusCode).toBe(400)
    expect((await get('', p.headers)).statusCode).toBe(400) // the bearer header opens nothing either
  })

  it("a ticket whose session was revoked (logout) or whose account was disabled is refused", async () => {
    const p = await registerUser(t)
    const { ticket: raw } = await ticket(p)
    expect((await call(p, 'POST', '/auth/logout')).statusCode).toBe(204)
    expect((await t.app.inject({ method: 'GET', url: `${API}/notifications/stream?ticket=${raw}` })).statusCode).toBe(401)

    const q = await registerUser(t)
    const { ticket: other } = await ticket(q)
    await ok(await call(admin, 'POST', `/admin/users/${q.id}/disable`))
    expect((await t.app.inject({ method: 'GET', url: `${API}/notifications/stream?ticket=${other}` })).statusCode).toBe(401)
  })
})

describe('the live stream', () => {
  it('pushes a new notification as an SSE event, with the security headers and no-store, and a closed connection leaves the hub', async () => {
    const p = await registerUser(t)
    const d = await registerVerified(t, 'doctor', admin)
    const id = await request(p, d)
    const s = await stream(p)
    expect(s.status).toBe(200)
    expect(s.headers['content-type']).toBe('text/event-stream; charset=utf-8')
    expect(s.headers['cache-control']).toBe('no-store')
    expect(s.headers['x-content-type-options']).toBe('nosniff')
    expect(s.headers['content-security-policy']).toContain("frame-ancestors 'none'")
    expect(s.headers['content-encoding']).toBeUndefined()
    expect(streamHubOf(t.deps)?.count(p.id)).toBe(1)

    await ok(await call(d, 'POST', `/consultations/${id}/approve`))
    const e = await s.waitFor((x) => x.event === 'notification', 5_000, 'the approval')
    const item = JSON.parse(e.data) as Item
    expect(item).toMatchObject({ type: 'consultation.approved', resource: { type: 'consultation', id }, readAt: null })
    expect(e.id).toBe(item.id)
    expect((await list(p)).items[0]?.id).toBe(item.id)

    s.close()
    await waitUntil(() => streamHubOf(t.deps)?.count(p.id) === 0, 5_000, 'the closed stream to leave the hub')
  })

  it("a user's stream hears only that user's notifications", async () => {
    const p = await registerUser(t)
    const other = await registerUser(t)
    const d = await registerVerified(t, 'doctor', admin)
    const s = await stream(other)
    const mine = await stream(p)
    await ok(await call(d, 'POST', `/consultations/${await request(p, d)}/reject`))
    await mine.waitFor((x) => x.event === 'notification', 5_000)
    expect(s.events).toEqual([])
    s.close()
    mine.close()
  })

  it('ends when its session is revoked', async () => {
    const p = await registerUser(t)
    const s = await stream(p)
    expect((await call(p, 'POST', '/auth/logout')).statusCode).toBe(204)
    const end = await s.waitFor((x) => x.event === 'end', 15_000, 'the end of the stream')
    expect(JSON.parse(end.data)).toEqual({ reason: 'session-ended' })
    await s.ended
    await waitUntil(() => streamHubOf(t.deps)?.count(p.id) === 0, 5_000, 'the ended stream to leave the hub')
  })

  it(`keeps at most ${MAX_STREAMS_PER_USER} streams per user on a node: a further one ends the oldest`, async () => {
    const p = await loginAs(t, (await registerUser(t)).email)
    const streams = []
    for (let i = 0; i <= MAX_STREAMS_PER_USER; i++) streams.push(await stream(p))
    const end = await streams[0]!.waitFor((x) => x.event === 'end', 5_000)
    expect(JSON.parse(end.data)).toEqual({ reason: 'too-many-streams' })
    expect(streamHubOf(t.deps)?.count(p.id)).toBe(MAX_STREAMS_PER_USER)
    for (const s of streams) s.close()
    await waitUntil(() => streamHubOf(t.deps)?.count(p.id) === 0, 5_000, 'every stream to leave the hub')
  })
})
