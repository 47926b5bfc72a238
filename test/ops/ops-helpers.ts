/**
 * Shared by the backup/restore and key-rotation operations tests (SPEC §11): the engine a
 * test's locker runs on (a fresh PostgreSQL database when `DATABASE_URL` is a postgres URL,
 * else PGlite in the locker's own `DATA_DIR`), the operations CLIs run as real processes,
 * and a patient uploading and downloading files over HTTP on a real server process.
 */
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'vitest'
import { callNode, type NodeProcess } from '../helpers/node-process.js'
import { createServerDatabase } from '../helpers/test-app.js'
import { multipartBody } from '../helpers/uploads.js'

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
const baseUrl = process.env.DATABASE_URL

/** Which engine this run tests (`.ci/run` runs the ops suite once per engine). */
export const ENGINE: 'postgres' | 'pglite' = baseUrl?.startsWith('postgres') ? 'postgres' : 'pglite'

/** One locker's place: its DATA_DIR (blobs, and the PGlite database on that engine) and its DATABASE_URL ('' = PGlite in DATA_DIR). */
export interface LockerPlace {
  dataDir: string
  databaseUrl: string
  /** Drops the PostgreSQL database (nothing on PGlite). */
  drop(): Promise<void>
}

/** A new, empty place for a locker on this run's engine. */
export async function newPlace(): Promise<LockerPlace> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'carelocker-ops-'))
  if (ENGINE === 'pglite') return { dataDir, databaseUrl: '', drop: async () => undefined }
  const database = await createServerDatabase(baseUrl as string)
  return { dataDir, databaseUrl: database.url, drop: database.drop }
}

/** The environment of a node or CLI on `place`. */
export const placeEnv = (place: LockerPlace): Record<string, string> => ({ DATA_DIR: place.dataDir, DATABASE_URL: place.databaseUrl })

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `src/cli/<script>.ts` under tsx with only `env` (plus PATH, HOME, NODE_ENV=test); resolves when it exits. */
export function runCli(script: string, args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `src/cli/${script}.ts`, ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), NODE_ENV: 'test', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')))
    child.once('error', reject)
    child.once('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

/** Fresh MASTER_KEY, JWT_SECRET and AUDIT_SIGNING_KEY for a locker (restore needs the same ones). */
export const freshKey = () => randomBytes(32).toString('base64')

export interface Patient {
  email: string
  password: string
  token: string
}

/** Registers a patient on `node` over HTTP. */
export async function registerPatient(node: NodeProcess): Promise<Patient> {
  const email = `p-${randomBytes(6).toString('hex')}@ops.test`
  const password = `Pw-${randomBytes(12).toString('hex')}`
  const res = await callNode(node, 'POST', '/auth/register', undefined, { email, password, role: 'patient', name: 'Ops Patient' })
  expect(res.status, JSON.stringify(res.json)).toBe(201)
  return { email, password, token: res.json.accessToken as string }
}

/** Logs the patient in on `node` (e.g. a restored locker); returns a fresh access token. */
export async function login(node: NodeProcess, p: Patient): Promise<string> {
  const res = await callNode(node, 'POST', '/auth/login', undefined, { email: p.email, password: p.password })
  expect(res.status, JSON.stringify(res.json)).toBe(200)
  return res.json.accessToken as string
}

/** Random printable text of `size` bytes (a `text/plain` record). */
export const textFile = (size: number) => Buffer.from(randomBytes(Math.ceil(size / 2)).toString('hex').slice(0, size), 'utf8')

export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

/** Uploads `bytes` as a record through the real multipart route; returns the record's id and sha256. */
export async function upload(node: NodeProcess, token: string, bytes: Buffer): Promise<{ id: string; sha256: string; status: number }> {
  const { body, contentType } = await multipartBody({ category: 'lab_report' }, { name: 'result.txt', bytes })
  const res = await fetch(`${node.url}/api/v1/patients/me/records`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
    body: new Uint8Array(body),
  })
  const json = (await res.json()) as { id: string; sha256: string }
  return { id: json.id, sha256: json.sha256, status: res.status }
}

/** Downloads a record's content; resolves with the HTTP status and the sha256 of the bytes received. */
export async function download(node: NodeProcess, token: string, id: string): Promise<{ status: number; sha256: string }> {
  const res = await fetch(`${node.url}/api/v1/patients/me/records/${id}/content`, { headers: { authorization: `Bearer ${token}` } })
  return { status: res.status, sha256: sha256(Buffer.from(await res.arrayBuffer())) }
}

/** The ids of the patient's live records, all pages. */
export async function listRecordIds(node: NodeProcess, token: string): Promise<string[]> {
  const ids: string[] = []
  let cursor: string | undefined
  do {
    const res = await callNode(node, 'GET', `/patients/me/records?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, token)
    expect(res.status).toBe(200)
    ids.push(...(res.json.items as { id: string }[]).map((r) => r.id))
    cursor = res.json.nextCursor ?? undefined
  } while (cursor)
  return ids
}
