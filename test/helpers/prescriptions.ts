/** Test helpers for prescriptions and the pharmacy counter: consent, a patient with a profile, issuing, QR decoding. */
import jsQRModule from 'jsqr'
import { PNG } from 'pngjs'
import { expect } from 'vitest'
import { registerUser, type TestUser } from './factories.js'
import type { TestApp } from './test-app.js'

export const AMOXICILLIN = { medicineName: 'Amoxicillin', dosage: '500 mg', frequency: 'three times a day', quantity: 21, durationDays: 7, instructions: 'after meals' }
export const IBUPROFEN = { medicineName: 'Ibuprofen', dosage: '400 mg', frequency: 'as needed, at most 3 a day', quantity: 20 }
/** An allergy override a prescriber gives when prescribing despite a warning (SPEC §4.9). */
export const OVERRIDE = { reason: 'Tolerated amoxicillin in 2024 without reaction; benefits outweigh the risk.' }

/** An approved consultation between them right now (the consultations feature's state, inserted directly). */
export async function consent(t: TestApp, patientId: string, doctorId: string): Promise<void> {
  await t.deps.db.insertInto('consultations').values({ patientId, doctorId, status: 'approved', createdAt: new Date() }).execute()
}

/** A patient with a date of birth and, optionally, allergies. */
export async function patientWithProfile(
  t: TestApp,
  profile: { dateOfBirth?: string; allergies?: { substance: string; severity?: string; code?: { system: string; code: string; display?: string } }[] } = {},
): Promise<TestUser & { dateOfBirth: string }> {
  const p = await registerUser(t, 'patient', { name: 'Pat Example' })
  const dateOfBirth = profile.dateOfBirth ?? '1980-04-12'
  const res = await t.app.inject({
    method: 'PUT',
    url: '/api/v1/patients/me/profile',
    headers: p.headers,
    payload: { fullName: 'Pat Example', dateOfBirth, allergies: profile.allergies ?? [] },
  })
  expect(res.statusCode, res.body).toBe(200)
  return { ...p, dateOfBirth }
}

/** `POST /prescriptions` as `doctor`; asserts 201 and returns the Prescription. */
export async function issue(t: TestApp, doctor: TestUser, patientId: string, body: Record<string, unknown> = {}) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/prescriptions',
    headers: doctor.headers,
    payload: { patientId, diagnosis: 'Acute otitis media', items: [AMOXICILLIN], ...body },
  })
  expect(res.statusCode, res.body).toBe(201)
  return res.json()
}

// jsqr is a CommonJS bundle whose function sits on `default`; interop differs between loaders.
const jsQR = ((jsQRModule as unknown as { default?: unknown }).default ?? jsQRModule) as unknown as typeof jsQRModule.default

/** Decodes the QR code in a PNG (pngjs + jsQR); throws when none is found. */
export function decodeQrPng(png: Buffer): string {
  const image = PNG.sync.read(png)
  const code = jsQR(new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length), image.width, image.height)
  if (!code) throw new Error('No QR code found in the PNG.')
  return code.data
}
