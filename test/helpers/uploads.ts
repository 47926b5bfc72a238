/** Uploads through the real multipart route, as a browser's FormData would send it. */
import { expect } from 'vitest'
import type { TestUser } from './factories.js'
import type { TestApp } from './test-app.js'

/** A multipart body and its content type, encoded by the platform's FormData. */
export async function multipartBody(fields: Record<string, string>, file: { name: string; bytes: Buffer | string }): Promise<{ body: Buffer; contentType: string }> {
  const form = new FormData()
  for (const [k, v] of Object.entries(fields)) form.set(k, v)
  form.set('file', new Blob([typeof file.bytes === 'string' ? file.bytes : new Uint8Array(file.bytes)]), file.name)
  const encoded = new Response(form)
  return { body: Buffer.from(await encoded.arrayBuffer()), contentType: encoded.headers.get('content-type') ?? '' }
}

/** Uploads a record to `pid` (default `me`); asserts 201 and returns the Record. */
export async function uploadRecord(
  t: TestApp,
  u: TestUser,
  file: { name: string; bytes: Buffer | string },
  fields: Record<string, string> = { category: 'lab_report' },
  pid = 'me',
): Promise<{ id: string; [k: string]: unknown }> {
  const { body, contentType } = await multipartBody(fields, file)
  const res = await t.app.inject({ method: 'POST', url: `/api/v1/patients/${pid}/records`, headers: { ...u.headers, 'content-type': contentType }, payload: body })
  expect(res.statusCode, res.body).toBe(201)
  return res.json()
}
