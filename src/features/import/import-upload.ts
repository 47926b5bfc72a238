/**
 * The streamed side of `POST /patients/{pid}/import` (SPEC §9): an XML or zip body is
 * written to a private temporary file as it arrives (never held in memory: an Apple Health
 * export can be gigabytes), then its first bytes decide what it is — a zip (`PK\x03\x04`),
 * an Apple Health `export.xml` (root element `HealthData`) or a C-CDA document (root
 * element `ClinicalDocument`). The caller must `dispose()` the file when done.
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, open, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Transform, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { PayloadTooLargeError, UnsupportedMediaTypeError } from '../../app/errors.js'

/** What a streamed import body turned out to be. */
export type ImportFileKind = 'ccda' | 'apple-health-xml' | 'apple-health-zip'

export interface SpooledImport {
  /** Absolute path of the private temporary copy (mode 0600, in a 0700 directory). */
  path: string
  kind: ImportFileKind
  sizeBytes: number
  /** Removes the temporary copy; safe to call twice. */
  dispose(): Promise<void>
}

const SNIFF_BYTES = 4096

/**
 * Writes `body` to a temporary file, at most `maxBytes` (PayloadTooLargeError 413 beyond,
 * the partial file removed), and classifies it. UnsupportedMediaTypeError (415) when it is
 * neither a zip, nor an Apple Health export, nor a C-CDA document.
 */
export async function spoolImportBody(body: Readable, maxBytes: number): Promise<SpooledImport> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'carelocker-import-'))
  const file = path.join(dir, 'body')
  const dispose = () => rm(dir, { recursive: true, force: true })
  try {
    let size = 0
    const limit = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length
        if (size > maxBytes) done(new PayloadTooLargeError(`An import file may be at most ${Math.round(maxBytes / 1048576)} MB.`))
        else done(null, chunk)
      },
    })
    // Piped, not pipelined from `body`: a refusal (413) unpipes the request instead of destroying
    // it, so the route's onSend (discardUnreadBody) can drain or close the connection cleanly.
    body.on('error', (err) => limit.destroy(err))
    body.pipe(limit)
    await pipeline(limit, createWriteStream(file, { mode: 0o600 }))
    const kind = await sniffImportFile(file)
    return { path: file, kind, sizeBytes: size, dispose }
  } catch (err) {
    await dispose()
    throw err
  }
}

/** Reads the first bytes of `file` and names its kind (see the module comment); 415 otherwise. */
async function sniffImportFile(file: string): Promise<ImportFileKind> {
  const handle = await open(file, 'r')
  let head: Buffer
  try {
    const buf = Buffer.alloc(SNIFF_BYTES)
    const { bytesRead } = await handle.read(buf, 0, SNIFF_BYTES, 0)
    head = buf.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
  if (head.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) return 'apple-health-zip'
  const root = xmlRootElement(head.toString('utf8'))
  if (root === 'HealthData') return 'apple-health-xml'
  if (root === 'ClinicalDocument') return 'ccda'
  throw new UnsupportedMediaTypeError(
    'This file is not one CareLocker can import: send a FHIR R4 Bundle (JSON), an HL7 C-CDA document (XML), an Apple Health export (export.xml or its .zip), or a SMART Health Link.',
  )
}

/** The local name of the first element of an XML text, skipping the BOM, the declaration, comments, processing instructions and the DOCTYPE (with its internal subset). */
export function xmlRootElement(text: string): string | undefined {
  let s = text.replace(/^\uFEFF/, '')
  for (;;) {
    s = s.trimStart()
    if (s.startsWith('<?')) s = s.slice(s.indexOf('?>') + 2 || s.length)
    else if (s.startsWith('<!--')) s = s.slice(s.indexOf('-->') + 3 || s.length)
    else if (s.startsWith('<!DOCTYPE')) {
      const subset = s.indexOf('[')
      const close = s.indexOf('>')
      s = subset !== -1 && subset < close ? s.slice(s.indexOf(']>') + 2 || s.length) : s.slice(close + 1 || s.length)
    } else break
    if (s.length === 0) return undefined
  }
  const m = /^<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)/.exec(s)
  return m?.[2]
}

/** A read stream over a spooled file (helper for importers that stream it again). */
export const readSpooled = (spooled: SpooledImport): Readable => createReadStream(spooled.path)
