/**
 * `GET /admin/settings` (SPEC §6): the web app warns an admin when PUBLIC_URL points at
 * this machine only, since links and QR codes would then not open on another device.
 * Who may call it is proven by test/authorization-matrix.test.ts (admins only).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAdmin, registerUser } from '../../../test/helpers/factories.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'
import { isLocalUrl } from './admin-settings.service.js'

let remote: TestApp
let local: TestApp
beforeAll(async () => {
  remote = await startTestApp({ PUBLIC_URL: 'https://records.example.org/' })
  local = await startTestApp({ PUBLIC_URL: 'http://localhost:3000' })
})
afterAll(async () => {
  await remote?.close()
  await local?.close()
})

const settingsOf = async (t: TestApp) => {
  const admin = await createAdmin(t)
  const res = await t.app.inject({ method: 'GET', url: '/api/v1/admin/settings', headers: admin.headers })
  expect(res.statusCode, res.body).toBe(200)
  expect(res.headers['cache-control']).toBe('no-store')
  return res.json()
}

describe('GET /admin/settings', () => {
  it('answers an admin the PUBLIC_URL in use, not local for a real host name', async () => {
    expect(await settingsOf(remote)).toEqual({ publicUrl: 'https://records.example.org', publicUrlIsLocal: false })
  })

  it('says publicUrlIsLocal when PUBLIC_URL is http://localhost:…', async () => {
    expect(await settingsOf(local)).toEqual({ publicUrl: 'http://localhost:3000', publicUrlIsLocal: true })
  })

  it('refuses a patient (403) and an anonymous caller (401)', async () => {
    const patient = await registerUser(local)
    expect((await local.app.inject({ method: 'GET', url: '/api/v1/admin/settings', headers: patient.headers })).statusCode).toBe(403)
    expect((await local.app.inject({ method: 'GET', url: '/api/v1/admin/settings' })).statusCode).toBe(401)
  })
})

describe('isLocalUrl: hosts only this machine can reach', () => {
  it.each([
    'http://localhost:3000',
    'http://LOCALHOST',
    'http://app.localhost:8080',
    'http://localhost.:3000',
    'http://127.0.0.1:3000',
    'http://127.1',
    'http://127.53.0.9',
    'http://[::1]:3000',
    'http://[::ffff:127.0.0.1]',
    'http://0.0.0.0:3000',
    'http://[::]:3000',
  ])('%s is local', (url) => {
    expect(isLocalUrl(url)).toBe(true)
  })

  it.each(['http://192.168.1.20:3000', 'https://records.example.org', 'http://10.0.0.5', 'http://[fe80::1]', 'http://localhost-box.lan', 'http://128.0.0.1', 'not a url'])(
    '%s is not local',
    (url) => {
      expect(isLocalUrl(url)).toBe(false)
    },
  )
})
