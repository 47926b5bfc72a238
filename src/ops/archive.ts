/**
 * The backup archive (SPEC §11): named entries, framed, then encrypted as one stream.
 *
 * File layout: `CLBACKUP` (8 bytes) ‖ format version (1 byte, 0x01) ‖ the archive's own data
 * key wrapped by the archive key (envelope.ts, 61 bytes) ‖ the framed entries encrypted with
 * that data key in authenticated 64 KiB segments (segment-cipher.ts, the STREAM construction
 * over AES-256-GCM): a bit flipped, a segment dropped, reordered, or the file cut short
 * fails a tag. No new cryptography here: both layers are the ones that protect record files.
 *
 * Framed entries (the plaintext): each entry is `E` ‖ u16 BE name length ‖ UTF-8 name ‖
 * chunks (u32 BE length ‖ bytes) ‖ a zero-length chunk; the archive ends with `Z`. Entry
 * bodies are streamed, so neither side holds a table or a blob in memory.
 *
 * The archive key is `BACKUP_KEY`, or HKDF-SHA256(MASTER_KEY, info "carelocker-backup") when
 * unset (RFC 5869; the master key is uniformly random, so no salt is needed).
 */
import { hkdfSync } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'
import { PassThrough, pipeline as streamPipeline, type Transform, type Writable } from 'node:stream'
import { generateDataKey, unwrapDataKey, WRAPPED_KEY_SIZE, wrapDataKey } from '../storage/envelope.js'
import { CIPHER_SEGMENT_SIZE, ciphertextSize, createDecryptTransform, createEncryptTransform, IntegrityError, planRange, TAG_SIZE } from '../storage/segment-cipher.js'

const MAGIC = Buffer.from('CLBACKUP', 'ascii')
const FORMAT = 0x01
const HEADER_SIZE = MAGIC.length + 1 + WRAPPED_KEY_SIZE
const ENTRY = 0x45 // 'E'
const END = 0x5a // 'Z'
/** Largest chunk a reader accepts (the writer cuts bodies into at most this much). */
const MAX_CHUNK = 1024 * 1024

/** The archive is not one this key opens, or was altered, cut short, or is not an archive. Nothing was restored. */
export class ArchiveError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ArchiveError'
  }
}

/** BACKUP_KEY when set, else HKDF-SHA256(masterKey, "", "carelocker-backup", 32). Both 32 bytes. */
export function archiveKey(config: { backupKey: Buffer | undefined; masterKey: Buffer }): Buffer {
  return config.backupKey ?? Buffer.from(hkdfSync('sha256', config.masterKey, Buffer.alloc(0), 'carelocker-backup', 32))
}

/**
 * Writes framed entries to `out`, waiting for `drain` (memory stays flat whatever the body
 * sizes). Rejects when `out` errors. Call `end()` once after the last entry.
 */
export class EntryWriter {
  constructor(private readonly out: Writable) {}

  /** One entry: `body` whole, or streamed chunk by chunk. */
  async entry(name: string, body: Buffer | AsyncIterable<Buffer | Uint8Array | string>): Promise<void> {
    const encodedName = Buffer.from(name, 'utf8')
    if (encodedName.length === 0 || encodedName.length > 0xffff) throw new RangeError(`Bad entry name length ${encodedName.length}.`)
    const head = Buffer.alloc(3)
    head[0] = ENTRY
    head.writeUInt16BE(encodedName.length, 1)
    await this.write(Buffer.concat([head, encodedName]))
    const chunks = Buffer.isBuffer(body) ? [body] : body
    for await (const raw of chunks) {
      const chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)
      for (let at = 0; at < chunk.length; at += MAX_CHUNK) await this.chunk(chunk.subarray(at, at + MAX_CHUNK))
    }
    await this.write(Buffer.alloc(4)) // the zero-length chunk ends the entry
  }

  /** The end marker: an archive without it is refused as cut short. */
  async end(): Promise<void> {
    await this.write(Buffer.from([END]))
  }

  private async chunk(bytes: Buffer): Promise<void> {
    if (bytes.length === 0) return
    const len = Buffer.alloc(4)
    len.writeUInt32BE(bytes.length, 0)
    await this.write(len)
    await this.write(bytes)
  }

  private write(bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.out.destroyed || this.out.writableEnded) {
        reject(new Error('The archive output closed early.'))
        return
      }
      // A peer that goes away (a killed CLI) may close the stream without an error: never wait
      // for a 'drain' that will not come (the server would keep its snapshot open).
      const onError = (err: Error) => finish(err)
      const onClose = () => finish(new Error('The archive output closed early.'))
      const finish = (err?: Error) => {
        this.out.off('error', onError)
        this.out.off('close', onClose)
        this.out.off('drain', onDrain)
        if (err) reject(err)
        else resolve()
      }
      const onDrain = () => finish()
      this.out.once('error', onError)
      this.out.once('close', onClose)
      if (this.out.write(bytes)) finish()
      else this.out.once('drain', onDrain)
    })
  }
}

/** Reads exact byte counts from an async stream of buffers. */
class ByteReader {
  private readonly it: AsyncIterator<Buffer>
  private buffered: Buffer[] = []
  private length = 0

  constructor(source: AsyncIterable<Buffer | Uint8Array>) {
    const inner = source[Symbol.asyncIterator]()
    this.it = {
      next: async () => {
        const r = await inner.next()
        return r.done ? r : { done: false, value: Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength) }
      },
      return: async () => (inner.return ? ((await inner.return()) as IteratorResult<Buffer>) : { done: true, value: undefined }),
    }
  }

  /** Exactly n bytes, or undefined when the source ended first. */
  async read(n: number): Promise<Buffer | undefined> {
    while (this.length < n) {
      const next = await this.it.next()
      if (next.done) return undefined
      this.buffered.push(next.value)
      this.length += next.value.length
    }
    const all = this.buffered.length === 1 ? (this.buffered[0] as Buffer) : Buffer.concat(this.buffered)
    const out = all.subarray(0, n)
    const rest = all.subarray(n)
    this.buffered = rest.length > 0 ? [rest] : []
    this.length = rest.length
    return out
  }

  /** True when nothing is left. */
  async atEnd(): Promise<boolean> {
    if (this.length > 0) return false
    const next = await this.it.next()
    if (next.done) return true
    this.buffered.push(next.value)
    this.length += next.value.length
    return next.value.length === 0 ? this.atEnd() : false
  }

  async close(): Promise<void> {
    await this.it.return?.()
  }
}

/** One entry as `readEntries` yields it: consume `body` (or not) before asking for the next entry. */
export interface ArchiveEntry {
  name: string
  body: AsyncIterable<Buffer>
}

/**
 * Parses framed entries (the plaintext of an archive). Throws ArchiveError on a malformed
 * frame or when the source ends before the end marker; an unconsumed body is skipped.
 */
export async function* readEntries(source: AsyncIterable<Buffer | Uint8Array>): AsyncGenerator<ArchiveEntry> {
  const reader = new ByteReader(source)
  const need = async (n: number): Promise<Buffer> => {
    const bytes = await reader.read(n)
    if (!bytes) throw new ArchiveError('The archive ends early (cut short).')
    return bytes
  }
  try {
    for (;;) {
      const tag = (await need(1))[0]
      if (tag === END) {
        if (!(await reader.atEnd())) throw new ArchiveError('The archive has bytes after its end marker.')
        return
      }
      if (tag !== ENTRY) throw new ArchiveError('The archive is malformed (unknown frame).')
      const name = (await need((await need(2)).readUInt16BE(0))).toString('utf8')
      let finished = false
      const body = async function* (): AsyncGenerator<Buffer> {
        for (;;) {
          const len = (await need(4)).readUInt32BE(0)
          if (len === 0) break
          if (len > MAX_CHUNK) throw new ArchiveError('The archive is malformed (oversized chunk).')
          yield await need(len)
        }
        finished = true
      }
      const iterator = body()
      // No `return` on the handed-out iterator: a consumer that stops early must not end the frame's reader.
      yield { name, body: { [Symbol.asyncIterator]: () => ({ next: () => iterator.next() }) } }
      if (!finished) for await (const _ of iterator) void _ // skip what the consumer left
    }
  } finally {
    await reader.close()
  }
}

/** Collects an entry body into one Buffer (for the small JSON entries). */
export async function readAll(body: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const chunk of body) parts.push(chunk)
  return Buffer.concat(parts)
}

/** Splits an entry body into its lines (JSON-lines tables), without the newline. */
export async function* readLines(body: AsyncIterable<Buffer>): AsyncGenerator<string> {
  let carry = ''
  for await (const chunk of body) {
    const lines = (carry + chunk.toString('utf8')).split('\n')
    carry = lines.pop() ?? ''
    yield* lines.filter((l) => l !== '')
  }
  if (carry !== '') yield carry
}

/**
 * A plaintext writable whose bytes are encrypted into an archive at `out` (header first).
 * Resolve `done` after ending `input`: it rejects on any error of the chain.
 */
export function createArchiveEncryptor(key: Buffer, out: Writable): { input: Writable; done: Promise<void> } {
  const dataKey = generateDataKey()
  let encrypt: Transform
  let header: Buffer
  try {
    header = Buffer.concat([MAGIC, Buffer.from([FORMAT]), wrapDataKey(key, dataKey)])
    encrypt = createEncryptTransform(dataKey)
  } finally {
    dataKey.fill(0)
  }
  const input = new PassThrough()
  const withHeader = async function* (source: AsyncIterable<Buffer>) {
    yield header
    yield* source
  }
  const done = pipeline(input, encrypt, withHeader, out)
  return { input, done }
}

/**
 * Opens the archive file at `file` with `key` and returns its decrypted plaintext, chunk by chunk:
 * every segment's tag is checked before its bytes are released, and iteration throws
 * ArchiveError when a tag fails or the file was cut short. Throws ArchiveError at once when
 * the file is not an archive or `key` does not open it.
 */
export async function openArchive(file: string, key: Buffer): Promise<AsyncIterable<Buffer>> {
  const handle = await open(file, 'r')
  let header: Buffer
  let size: number
  try {
    size = (await handle.stat()).size
    header = Buffer.alloc(HEADER_SIZE)
    const { bytesRead } = await handle.read(header, 0, HEADER_SIZE, 0)
    if (bytesRead < HEADER_SIZE || !header.subarray(0, MAGIC.length).equals(MAGIC)) throw new ArchiveError(`${file} is not a CareLocker backup archive.`)
    if (header[MAGIC.length] !== FORMAT) throw new ArchiveError(`${file} is a backup archive of an unknown format version (${header[MAGIC.length]}).`)
  } finally {
    await handle.close()
  }
  let dataKey: Buffer
  try {
    dataKey = unwrapDataKey(key, header.subarray(MAGIC.length + 1))
  } catch (err) {
    if (err instanceof IntegrityError) throw new ArchiveError('The archive key does not open this archive: restore with the BACKUP_KEY (or, when it was unset, the MASTER_KEY) of the server that wrote it.')
    throw err
  }
  const plainSize = plainSizeOf(size - HEADER_SIZE)
  let decrypt: Transform
  try {
    decrypt = createDecryptTransform(dataKey, planRange(plainSize))
  } finally {
    dataKey.fill(0)
  }
  // Errors of the file or the cipher reach the consumer through `decrypt`; the callback only has to exist.
  streamPipeline(createReadStream(file, { start: HEADER_SIZE }), decrypt, () => undefined)
  return (async function* () {
    try {
      for await (const chunk of decrypt) yield chunk as Buffer
    } catch (err) {
      throw err instanceof IntegrityError ? new ArchiveError('The archive was altered or cut short (a segment failed authentication).') : err
    }
  })()
}

/** The plaintext size whose ciphertext is cipherSize bytes; ArchiveError when no size gives it (cut mid-segment). */
function plainSizeOf(cipherSize: number): number {
  const segments = Math.max(1, Math.ceil(cipherSize / CIPHER_SEGMENT_SIZE))
  const plain = cipherSize - segments * TAG_SIZE
  if (plain < 0 || ciphertextSize(plain) !== cipherSize) throw new ArchiveError('The archive was cut short (its size is not a whole number of segments).')
  return plain
}
