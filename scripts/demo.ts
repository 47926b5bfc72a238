/**
 * `npm run demo`: starts CareLocker like `npm start`, after loading demo data once:
 * an admin, a verified doctor and pharmacist, and demo patients imported from the
 * Synthea bundles in test/fixtures/synthea, the first with the sample documents of
 * test/fixtures/docs uploaded. Passwords are random per data
 * directory (no default credentials), kept in `$DATA_DIR/demo-logins.json` (0600), and
 * printed at every start. The admin, doctor and pharmacist must sign in with a second
 * factor (SPEC §8 `MFA_REQUIRED_ROLES`): each gets an authenticator (TOTP) enrolled through
 * the API, whose secret and `otpauth://` URI are kept and printed with the password (add
 * either to an authenticator app), and its recovery codes kept in the same file.
 */
import { randomBytes } from 'node:crypto'
import { Secret, TOTP } from 'otpauth'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { buildApp } from '../src/app/build-app.js'
import type { App } from '../src/app/app-types.js'
import { composeDeps } from '../src/app/compose.js'
import { loadConfig } from '../src/app/config.js'
import { ensureAdmin } from '../src/features/accounts/accounts.service.js'
import { FIXTURES_DIR } from '../test/helpers/fixtures.js'

interface Login {
  role: string
  email: string
  password: string
  name: string
  note?: string
  /** Base32 TOTP secret (SHA1, 6 digits, 30 s) of a role that needs a second factor. */
  totpSecret?: string
  otpauthUrl?: string
  recoveryCodes?: string[]
}

const SYNTHEA_PATIENTS = [
  'Domenica436_Brown30_ec8a12cb-be19-e117-d5fc-6fa3743ab6f4.json',
  'Bobbie849_Brekke496_60739794-1d06-debc-7835-30f2f8e4314c.json',
  'Sandee884_Lesch175_ad655588-9deb-d164-ea1e-29243f2de17d.json',
  'legacy-Dennis_Durgan_78f005f3-7b33-4a5b-84d9-28417b36dbab.json',
]
const SAMPLE_DOCS: [string, string][] = [
  ['ccda-unstructured-UD_sample.pdf', 'discharge_summary'],
  ['ccda-lab-result-multiple-reference-ranges-164947.pdf', 'lab_report'],
  ['ccda-ResultsWithLabLocation.png', 'lab_report'],
  ['pydicom-CT_small.dcm', 'imaging'],
]

const password = () => `demo-${randomBytes(9).toString('base64url')}`

async function call(app: App, method: 'GET' | 'POST' | 'PUT', url: string, token?: string, payload?: unknown, headers: Record<string, string> = {}) {
  const res = await app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    ...(payload !== undefined ? { payload: payload as string } : {}),
  })
  if (res.statusCode >= 400) throw new Error(`${method} ${url} → ${res.statusCode}: ${res.body.slice(0, 300)}`)
  return res.json()
}

/** Enrols an authenticator for the account of `token` (set-up, then a code of now) and records it on `login`. */
async function enrolTotp(app: App, login: Login, token: string): Promise<void> {
  const { secret, otpauthUrl } = await call(app, 'POST', '/auth/mfa/totp/setup', token, {})
  const code = new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate()
  const { recoveryCodes } = await call(app, 'POST', '/auth/mfa/totp/confirm', token, { code })
  Object.assign(login, { totpSecret: secret, otpauthUrl, recoveryCodes })
}

async function register(app: App, login: Login, extra: Record<string, string> = {}): Promise<{ id: string; token: string }> {
  const body = await call(app, 'POST', '/auth/register', undefined, { email: login.email, password: login.password, role: login.role, name: login.name, ...extra })
  return { id: body.user.id, token: body.accessToken }
}

async function seed(app: App, deps: Awaited<ReturnType<typeof composeDeps>>['deps']): Promise<Login[]> {
  const logins: Login[] = []
  const admin: Login = { role: 'admin', email: 'admin@demo.carelocker.dev', password: password(), name: 'Demo Admin' }
  await ensureAdmin(deps, admin.email, admin.password, admin.name)
  logins.push(admin)
  const adminToken = (await call(app, 'POST', '/auth/login', undefined, { email: admin.email, password: admin.password })).accessToken
  await enrolTotp(app, admin, adminToken)

  const doctor: Login = { role: 'doctor', email: 'doctor@demo.carelocker.dev', password: password(), name: 'Dr. Ada Okafor' }
  const clinic = await call(app, 'POST', '/admin/organizations', adminToken, { name: 'CareLocker Demo Clinic', type: 'clinic' })
  const d = await register(app, doctor, { specialty: 'Internal Medicine', licenseNumber: 'MD-DEMO-001', organizationId: clinic.id })
  await enrolTotp(app, doctor, d.token)
  await call(app, 'POST', `/admin/users/${d.id}/verify`, adminToken)
  logins.push(doctor)
  const pharmacist: Login = { role: 'pharmacist', email: 'pharmacist@demo.carelocker.dev', password: password(), name: 'Sam Rivera' }
  const ph = await register(app, pharmacist, { pharmacyName: 'Demo Corner Pharmacy', licenseNumber: 'PH-DEMO-001' })
  await enrolTotp(app, pharmacist, ph.token)
  await call(app, 'POST', `/admin/users/${ph.id}/verify`, adminToken)
  logins.push(pharmacist)

  for (const [i, file] of SYNTHEA_PATIENTS.entries()) {
    const bundlePath = path.join(FIXTURES_DIR, 'synthea', file)
    const name = file.replace(/^legacy-/, '').split('_').slice(0, 2).join(' ').replace(/\d+/g, '')
    const login: Login = { role: 'patient', email: `patient${i + 1}@demo.carelocker.dev`, password: password(), name, note: `Synthea: ${file.split('_')[0]}` }
    const p = await register(app, login)
    const result = await call(app, 'POST', '/patients/me/import', p.token, await readFile(bundlePath, 'utf8'), { 'content-type': 'application/json' })
    login.note += ` (${result.imported.vitals} vitals, ${result.imported.records} records)`
    if (i === 0) {
      for (const [doc, category] of SAMPLE_DOCS) {
        const docPath = path.join(FIXTURES_DIR, 'docs', doc)
        const form = new FormData()
        form.set('category', category)
        form.set('title', doc.replace(/\.[a-z]+$/, '').replace(/[-_]/g, ' '))
        form.set('file', new Blob([await readFile(docPath)]), doc)
        const encoded = new Response(form)
        await call(app, 'POST', '/patients/me/records', p.token, Buffer.from(await encoded.arrayBuffer()), {
          'content-type': encoded.headers.get('content-type') ?? '',
        })
      }
      login.note += ' + sample documents'
    }
    logins.push(login)
  }
  return logins
}

async function main(): Promise<void> {
  const config = loadConfig(process.env)
  const composed = await composeDeps(config)
  const app = await buildApp(composed.deps)
  const loginsFile = path.join(config.dataDir, 'demo-logins.json')
  let logins: Login[]
  if (existsSync(loginsFile)) {
    logins = JSON.parse(await readFile(loginsFile, 'utf8')) as Login[]
  } else {
    console.log('Loading demo data (first run)…')
    logins = await seed(app, composed.deps)
    await writeFile(loginsFile, JSON.stringify(logins, null, 2) + '\n', { mode: 0o600 })
  }
  const stop = async () => {
    await app.close()
    await composed.close()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop())
  process.on('SIGTERM', () => void stop())
  await app.listen({ port: config.port, host: config.host })
  console.log(`\nCareLocker demo at ${config.publicUrl} (API docs: ${config.publicUrl}/docs)\nDemo logins (stored in ${loginsFile}):`)
  console.table(logins.map((l) => ({ role: l.role, email: l.email, password: l.password, 'TOTP secret': l.totpSecret ?? '', name: l.name, note: l.note ?? '' })))
  const withTotp = logins.filter((l) => l.otpauthUrl)
  if (withTotp.length > 0) {
    console.log('Two-factor sign-in: add the TOTP secret above (or this otpauth URI) to an authenticator app; recovery codes are in the file.')
    for (const l of withTotp) console.log(`  ${l.email}: ${l.otpauthUrl}`)
  }
}

main().catch((err: unknown) => {
  console.error('Demo failed:', err)
  process.exit(1)
})
