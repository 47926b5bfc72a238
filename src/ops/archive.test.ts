/**
 * The backup archive's format (SPEC §11, src/ops/archive.ts): entries round-trip through the
 * framing and the encryption, and a wrong key, a flipped bit, a file cut short (mid-segment or
 * at a segment boundary) or framing without its end marker are refused as ArchiveError.
 */
import { randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ArchiveError, archiveKey, createArchiveEncryptor, EntryWriter, openArchive, readAll, readEntries } from './archive.js'

const dir = await mkdtemp(path.join(os.tmpdir(), 'carelocker-archive-'))
afterAll(() => rm(dir, { recursive: true, force: true }))

const key = randomBytes(32)
const big = randomBytes(300_000)

async function writeArchive(file: string, k = key): Promise<void> {
  const { input, done } = createArchiveEncryptor(k, createWriteStream(file))
  const writer = new EntryWriter(input)
  await writer.entry('manifest.json', Buffer.from('{"format":1}'))
  await writer.entry('blob/ab12', (async function* () {
    for (let at = 0; at < big.length; at += 70_000) yield big.subarray(at, at + 70_000)
  })())
  await writer.entry('empty', Buffer.alloc(0))
  await writer.end()
  input.end()
  await done
}

async function readArchive(file: string, k = key): Promise<Record<string, Buffer>> {
  const out: Record<string, Buffer> = {}
  for await (const entry of readEntries(await openArchive(file, k))) out[entry.name] = await readAll(entry.body)
  return out
}

describe('backup archive', () => {
  it('round-trips named entries through framing and AES-256-GCM segments', async () => {
    const file = path.join(dir, 'ok.clbk')
    await writeArchive(file)
    const entries = await readArchive(file)
    expect(Object.keys(entries)).toEqual(['manifest.json', 'blob/ab12', 'empty'])
    expect(entries['blob/ab12']?.equals(big)).toBe(true)
    expect(entries.empty?.length).toBe(0)
    // Nothing of the plaintext is visible in the file.
    expect((await readFile(file)).includes(big.subarray(1000, 1064))).toBe(false)
  })

  it('refuses a wrong key before reading any entry', async () => {
    const file = path.join(dir, 'key.clbk')
    await writeArchive(file)
    await expect(openArchive(file, randomBytes(32))).rejects.toThrow(/archive key does not open/)
  })

  it('refuses a flipped bit, a file cut mid-segment and one cut at a segment boundary', async () => {
    const file = path.join(dir, 'src.clbk')
    await writeArchive(file)
    const bytes = await readFile(file)
    const flipped = Buffer.from(bytes)
    flipped[200_000] = (flipped[200_000] as number) ^ 0x80
    const variants = { flipped, mid: bytes.subarray(0, bytes.length - 7), boundary: bytes.subarray(0, 70 + 65_552 * 2), header: bytes.subarray(0, 40) }
    for (const [name, content] of Object.entries(variants)) {
      const bad = path.join(dir, `${name}.clbk`)
      await writeFile(bad, content)
      await expect(readArchive(bad), name).rejects.toBeInstanceOf(ArchiveError)
    }
  })

  it('refuses framing that ends without its end marker, even when correctly encrypted', async () => {
    const file = path.join(dir, 'noend.clbk')
    const { input, done } = createArchiveEncryptor(key, createWriteStream(file))
    await new EntryWriter(input).entry('manifest.json', Buffer.from('{}'))
    input.end()
    await done
    await expect(readArchive(file)).rejects.toThrow(/ends early/)
  })

  it('derives the archive key from the master key with HKDF unless BACKUP_KEY is set', () => {
    const masterKey = randomBytes(32)
    const derived = archiveKey({ backupKey: undefined, masterKey })
    expect(derived).toHaveLength(32)
    expect(derived.equals(masterKey)).toBe(false)
    expect(archiveKey({ backupKey: undefined, masterKey }).equals(derived)).toBe(true)
    expect(archiveKey({ backupKey: key, masterKey }).equals(key)).toBe(true)
  })
})
