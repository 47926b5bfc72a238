/**
 * Master key rotation (SPEC §11), on the engine of this run, through real processes and the
 * operator's steps in the README: files uploaded under the old key; the server restarted
 * with MASTER_KEY=new and MASTER_KEY_PREVIOUS=old (reads both, writes new); `npm run
 * keys:rotate` stopped part-way by `--limit` — files wrapped under both keys are read then —
 * and run again to finish; finally the server restarted with the new key alone reads every
 * file with its sha256, which it could not if any data key had been left under the old key.
 * On PGlite the running server does the re-wrapping for the CLI (`$DATA_DIR/ops.sock`).
 */
import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateSigningKey } from '../../src/app/signing-keys.js'
import { callNode, startNodeProcess, type NodeProcess } from '../helpers/node-process.js'
import { download, freshKey, newPlace, placeEnv, registerPatient, runCli, sha256, textFile, upload, type LockerPlace, type Patient } from './ops-helpers.js'

const OLD_KEY = freshKey()
const NEW_KEY = freshKey()
const JWT_SECRET = randomBytes(32).toString('base64url')
const AUDIT_SIGNING_KEY = JSON.stringify(generateSigningKey())

let place: LockerPlace
let node: NodeProcess | undefined
let patient: Patient
/** sha256 by record id. */
const files = new Map<string, string>()

/** (Re)starts the locker's one server with `keys` (MASTER_KEY and maybe MASTER_KEY_PREVIOUS). */
async function restart(keys: Record<string, string>): Promise<NodeProcess> {
  await node?.stop()
  node = await startNodeProcess({ databaseUrl: place.databaseUrl, secrets: { MASTER_KEY: keys.MASTER_KEY as string, JWT_SECRET }, env: { ...placeEnv(place), AUDIT_SIGNING_KEY, ...keys } })
  return node
}

async function expectAllReadable(n: NodeProcess): Promise<void> {
  for (const [id, sum] of files) {
    const got = await download(n, patient.token, id)
    expect(got.status, `record ${id}`).toBe(200)
    expect(got.sha256).toBe(sum)
  }
}

const rotate = (args: string[], keys: Record<string, string>) => runCli('keys-rotate', args, { ...placeEnv(place), JWT_SECRET, AUDIT_SIGNING_KEY, ...keys })
const bothKeys = { MASTER_KEY: NEW_KEY, MASTER_KEY_PREVIOUS: OLD_KEY }

beforeAll(async () => {
  place = await newPlace()
  const first = await restart({ MASTER_KEY: OLD_KEY })
  patient = await registerPatient(first)
  for (const size of [10, 70_000, 200_000, 3000, 65_536, 1]) {
    const bytes = textFile(size)
    const r = await upload(first, patient.token, bytes)
    expect(r.status).toBe(201)
    files.set(r.id, sha256(bytes))
  }
})

afterAll(async () => {
  await node?.stop()
  await place?.drop()
  if (place) await rm(place.dataDir, { recursive: true, force: true })
})

describe('npm run keys:rotate', () => {
  it('refuses a new key the servers do not run with yet, and a malformed one', async () => {
    const notYet = await rotate(['--new-key', NEW_KEY], { MASTER_KEY: OLD_KEY })
    expect(notYet.code).toBe(1)
    expect(notYet.stderr).toMatch(/MASTER_KEY=<new key> and MASTER_KEY_PREVIOUS=<old key>/)
    const malformed = await rotate(['--new-key', 'c2hvcnQ='], bothKeys)
    expect(malformed.code).toBe(1)
    expect(malformed.stderr).toMatch(/32 bytes/)
  })

  it('re-wraps every data key, resumably, with every file readable before, during and after', async () => {
    const emergencyLink = async (n: NodeProcess) => callNode(n, 'GET', '/patients/me/emergency', patient.token)
    const before = await emergencyLink(node as NodeProcess)
    expect(before.status).toBe(200)
    // Operator step 1: the server knows both keys; old files read, a new upload is wrapped by the new key.
    const both = await restart(bothKeys)
    await expectAllReadable(both)
    // The emergency link made under the old key is still shown as it is printed.
    expect((await emergencyLink(both)).json.token).toBe(before.json.token)
    const fresh = textFile(90_000)
    const r = await upload(both, patient.token, fresh)
    expect(r.status).toBe(201)
    files.set(r.id, sha256(fresh))

    // Step 2, interrupted: two re-wraps, then the run stops.
    const part = await rotate(['--new-key', NEW_KEY, '--batch-size', '2', '--limit', '2'], bothKeys)
    expect(part.code, part.stderr).toBe(0)
    expect(JSON.parse(part.stdout)).toMatchObject({ rewrapped: 2, finished: false, unreadable: 0 })
    // Meanwhile: data keys under the new key (2 re-wrapped + the new upload) and under the old (4) all read.
    await expectAllReadable(both)

    // Resumed: the rest, and nothing twice.
    const rest = await rotate(['--new-key', NEW_KEY, '--batch-size', '2'], bothKeys)
    expect(rest.code, rest.stderr).toBe(0)
    expect(JSON.parse(rest.stdout)).toMatchObject({ rewrapped: 4, alreadyCurrent: 3, finished: true, unreadable: 0 })
    await expectAllReadable(both)

    // Step 3: the old key dropped; every file still reads, so no data key was left under it.
    const onlyNew = await restart({ MASTER_KEY: NEW_KEY })
    await expectAllReadable(onlyNew)
    // The printed emergency link still opens the view; the app can no longer derive it and says so.
    expect((await callNode(onlyNew, 'GET', `/emergency/${before.json.token}`)).status).toBe(200)
    const underivable = await emergencyLink(onlyNew)
    expect(underivable.status).toBe(409)
    expect(underivable.json.code ?? underivable.json.type).toMatch(/emergency-link-underivable/)
    const renewed = await callNode(onlyNew, 'POST', '/patients/me/emergency/rotate', patient.token)
    expect(renewed.status).toBe(200)
    expect((await emergencyLink(onlyNew)).json.token).toBe(renewed.json.token)
    const again = await rotate(['--new-key', NEW_KEY], { MASTER_KEY: NEW_KEY })
    expect(JSON.parse(again.stdout)).toMatchObject({ rewrapped: 0, alreadyCurrent: 7, finished: true })
  })
})
