/** Helpers of the SMART Health Link tests (SPEC §9): a patient with a profile and a record, links made over HTTP. */
import { readFileSync } from 'node:fs'
import { expect } from 'vitest'
import { registerUser, type TestUser } from './factories.js'
import { fixturePath } from './fixtures.js'
import type { TestApp } from './test-app.js'
import { uploadRecord } from './uploads.js'

export const SHL_PDF = readFileSync(fixturePath('docs/ccda-unstructured-UD_sample.pdf'))

export const PROFILE = {
  fullName: 'Maria Lopez',
  dateOfBirth: '1980-04-02',
  sex: 'female',
  allergies: [{ substance: 'Penicillin', reaction: 'Hives', severity: 'severe' }],
  conditions: [{ name: 'Asthma', status: 'active' }, { name: 'Hypertension', status: 'active', code: { system: 'http://snomed.info/sct', code: '38341003' } }],
  medications: [{ name: 'Salbutamol inhaler', dosage: '100 mcg', frequency: 'as needed' }],
}

/** A patient named as PROFILE, with that profile and one PDF record; returns the user and the record's id. */
export async function patientWithData(t: TestApp): Promise<{ p: TestUser; recordId: string }> {
  const p = await registerUser(t, 'patient', { name: PROFILE.fullName })
  const res = await t.app.inject({ method: 'PUT', url: '/api/v1/patients/me/profile', headers: p.headers, payload: PROFILE })
  expect(res.statusCode, res.body).toBe(200)
  const record = await uploadRecord(t, p, { name: 'report.pdf', bytes: SHL_PDF })
  return { p, recordId: record.id }
}

export const createShl = (t: TestApp, u: TestUser, payload: object) =>
  t.app.inject({ method: 'POST', url: '/api/v1/patients/me/shl', headers: u.headers, payload })

/** Creates a link, asserts 201, returns the answer. */
export async function createShlOk(t: TestApp, u: TestUser, payload: object): Promise<{ id: string; shlink: string; viewerUrl: string; qrPngUrl: string; expiresAt: string; flags: string }> {
  const res = await createShl(t, u, payload)
  expect(res.statusCode, res.body).toBe(201)
  return res.json()
}

/** The payload JSON of a `shlink:/…`. */
export const payloadOf = (shlink: string): { url: string; key: string; exp: number; flag: string; label?: string; v: number } =>
  JSON.parse(Buffer.from(shlink.slice('shlink:/'.length), 'base64url').toString('utf8'))

/** The path (with query) of an absolute URL under the test app's PUBLIC_URL, for `app.inject`. */
export const pathOf = (url: string): string => {
  const u = new URL(url)
  return u.pathname + u.search
}
