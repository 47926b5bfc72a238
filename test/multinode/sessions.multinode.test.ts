/**
 * Two API nodes on one PostgreSQL database (SPEC §6, §7 scale-out; issue 11 item 3): a
 * session used on node B stops working there as soon as node A ends it — logout, an
 * admin's disable, a password change — however B caches its sessions; likewise a doctor's
 * access on B ends with the consultation ended on A (a guard for any future consent cache). Polls with a generous
 * cap; never asserts how fast (STYLE §9).
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { callNode, useTwoNodes, type NodeProcess } from '../helpers/node-process.js'
import { waitUntil } from '../helpers/wait.js'

const ADMIN_EMAIL = 'admin@multinode.test'
const ADMIN_PASSWORD = `Adm1n-${randomBytes(12).toString('hex')}`
const REVOKED_WITHIN_MS = 20_000

const nodes = useTwoNodes({ ADMIN_EMAIL, ADMIN_PASSWORD })

const password = () => `Pw-${randomBytes(12).toString('hex')}`

async function registerPatient(node: NodeProcess): Promise<{ id: string; email: string; password: string; accessToken: string }> {
  const email = `p-${randomBytes(6).toString('hex')}@multinode.test`
  const pw = password()
  const res = await callNode(node, 'POST', '/auth/register', undefined, { email, password: pw, role: 'patient', name: 'Multi Node' })
  expect(res.status).toBe(201)
  return { id: res.json.user.id, email, password: pw, accessToken: res.json.accessToken }
}

async function login(node: NodeProcess, email: string, pw: string): Promise<string> {
  const res = await callNode(node, 'POST', '/auth/login', undefined, { email, password: pw })
  expect(res.status).toBe(200)
  return res.json.accessToken as string
}

/** An authenticated read on `node` (the record list: the hot path whose session check is cached). */
const listStatus = async (node: NodeProcess, token: string) => (await callNode(node, 'GET', '/patients/me/records?limit=1', token)).status

/** Uses the token on node B until B has it cached (two answers in a row are 200). */
async function warmOnB(token: string): Promise<void> {
  expect(await listStatus(nodes.b, token)).toBe(200)
  expect(await listStatus(nodes.b, token)).toBe(200)
}

const answers401OnB = (token: string, what: string) =>
  waitUntil(async () => (await listStatus(nodes.b, token)) === 401, REVOKED_WITHIN_MS, `node B to refuse the token after ${what}`)

describe('sessions across two nodes', () => {
  it('a token from a sign-in on node A works on node B', async () => {
    const p = await registerPatient(nodes.a)
    const token = await login(nodes.a, p.email, p.password)
    await warmOnB(token)
    expect((await callNode(nodes.b, 'GET', '/auth/me', token)).json.user.id).toBe(p.id)
  })

  it('logging out on node A ends the session on node B', async () => {
    const p = await registerPatient(nodes.a)
    const token = await login(nodes.a, p.email, p.password)
    await warmOnB(token)
    expect((await callNode(nodes.a, 'POST', '/auth/logout', token)).status).toBe(204)
    await answers401OnB(token, 'logout')
    expect(await listStatus(nodes.a, token)).toBe(401)
  })

  it('an admin disabling the account on node A ends its sessions on node B', async () => {
    const p = await registerPatient(nodes.a)
    const token = await login(nodes.a, p.email, p.password)
    await warmOnB(token)
    const admin = await login(nodes.a, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect((await callNode(nodes.a, 'POST', `/admin/users/${p.id}/disable`, admin)).status).toBe(200)
    await answers401OnB(token, 'disable')
  })

  it('a password change on node A ends the other sessions on node B and keeps the current one', async () => {
    const p = await registerPatient(nodes.a)
    const current = await login(nodes.a, p.email, p.password)
    const other = await login(nodes.a, p.email, p.password)
    await warmOnB(current)
    await warmOnB(other)
    const res = await callNode(nodes.a, 'PUT', '/auth/password', current, { currentPassword: p.password, newPassword: password() })
    expect(res.status).toBe(204)
    await answers401OnB(other, 'a password change')
    expect(await listStatus(nodes.b, current)).toBe(200)
  })

  it("ending a consultation on node A stops the doctor's access to the patient's records on node B", async () => {
    const p = await registerPatient(nodes.a)
    const doctorEmail = `d-${randomBytes(6).toString('hex')}@multinode.test`
    const doctorPassword = password()
    const reg = await callNode(nodes.a, 'POST', '/auth/register', undefined, {
      email: doctorEmail, password: doctorPassword, role: 'doctor', name: 'Dr Multi', specialty: 'General practice', licenseNumber: 'MN-1',
    })
    expect(reg.status).toBe(201)
    const admin = await login(nodes.a, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect((await callNode(nodes.a, 'POST', `/admin/users/${reg.json.user.id}/verify`, admin)).status).toBe(200)
    const doctor = await login(nodes.a, doctorEmail, doctorPassword)
    const asked = await callNode(nodes.a, 'POST', '/consultations', p.accessToken, { doctorId: reg.json.user.id })
    expect(asked.status).toBe(201)
    expect((await callNode(nodes.a, 'POST', `/consultations/${asked.json.id}/approve`, doctor)).status).toBe(200)
    const doctorList = async () => (await callNode(nodes.b, 'GET', `/patients/${p.id}/records?limit=1`, doctor)).status
    expect(await doctorList()).toBe(200)
    expect(await doctorList()).toBe(200)
    expect((await callNode(nodes.a, 'POST', `/consultations/${asked.json.id}/end`, p.accessToken)).status).toBe(200)
    await waitUntil(async () => (await doctorList()) === 404, REVOKED_WITHIN_MS, 'node B to refuse the doctor after the consultation ended')
  })

  it('node B never trusts its cache while its invalidation listener is cut off: a logout in that gap still ends the session', async () => {
    const p = await registerPatient(nodes.a)
    const token = await login(nodes.a, p.email, p.password)
    await warmOnB(token)
    // Cut every session listener (both nodes), then log out before they can reconnect.
    const admin = new pg.Client({ connectionString: nodes.databaseUrl })
    await admin.connect()
    try {
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'carelocker-listener'`)
    } finally {
      await admin.end()
    }
    expect((await callNode(nodes.a, 'POST', '/auth/logout', token)).status).toBe(204)
    await answers401OnB(token, 'a logout while its listener was cut off')
    // And once the listener is back, the node still serves (and caches) live sessions.
    const fresh = await login(nodes.a, p.email, p.password)
    await waitUntil(async () => (await listStatus(nodes.b, fresh)) === 200, REVOKED_WITHIN_MS, 'node B to serve a live session again')
  })
})
