/**
 * Decides a record's type from its bytes, never from its name or declared type (SPEC §4.3):
 * PDF, JPEG, PNG, WebP, HEIC, DICOM Part-10 and plain UTF-8 text. Anything else is refused.
 * Pure except for `peekStream`, which reads the head of a stream without losing it.
 */
import { Readable } from 'node:stream'
import { fileTypeFromBuffer } from 'file-type'
import { XMLValidator } from 'fast-xml-parser'

/** Bytes to sample: file-type's recommended minimum (4100), which also covers a DICOM preamble. */
export const SNIFF_BYTES = 4100

/** The content types CareLocker stores, each with the extension its `fileName` gets. */
export const SUPPORTED_TYPES = {
  'application/pdf': '.pdf',
  'image/jpeg': '.jpg',
  'image/png': '.png',
  'image/webp': '.webp',
  'image/heic': '.heic',
  'application/dicom': '.dcm',
  'text/plain': '.txt',
} as const

export type SupportedContentType = keyof typeof SUPPORTED_TYPES

export type DetectedType =
  | {
      contentType: SupportedContentType
      /** With the dot: `.pdf`. */
      extension: (typeof SUPPORTED_TYPES)[SupportedContentType]
    }
  | typeof IMPORTED_XML

/**
 * The one type only an import stores (SPEC §9): the original XML of an imported C-CDA
 * document, kept as it came. An upload never gets it (its XML is plain text, or refused).
 */
export const IMPORTED_XML = { contentType: 'application/xml', extension: '.xml' } as const

/** True when `data` is UTF-8 text and well-formed XML (see {@link IMPORTED_XML}). */
export function isWellFormedXml(data: Buffer): boolean {
  return isPlainText(data, true) && XMLValidator.validate(data.toString('utf8')) === true
}

/** file-type MIME types accepted as one of ours (an animated PNG is still a PNG). */
const FROM_FILE_TYPE: Readonly<Record<string, SupportedContentType>> = {
  'application/pdf': 'application/pdf',
  'image/jpeg': 'image/jpeg',
  'image/png': 'image/png',
  'image/apng': 'image/png',
  'image/webp': 'image/webp',
  'image/heic': 'image/heic',
  'application/dicom': 'application/dicom',
}

const detected = (contentType: SupportedContentType): DetectedType => ({ contentType, extension: SUPPORTED_TYPES[contentType] })

/** DICOM Part-10 (PS3.10 §7.1): a 128-byte preamble, then the magic `DICM`. */
function isDicomPart10(sample: Buffer): boolean {
  return sample.length >= 132 && sample.toString('latin1', 128, 132) === 'DICM'
}

/**
 * True when `sample` is UTF-8 text: valid UTF-8 (a multi-byte character cut at the end of an
 * incomplete sample is tolerated) with no control characters other than tab, LF, FF and CR
 * (no NUL, no C1 controls). An empty sample is not text.
 */
export function isPlainText(sample: Buffer, complete: boolean): boolean {
  if (sample.length === 0) return false
  let text: string
  try {
    // `stream: true` keeps a trailing partial sequence pending instead of failing on it.
    text = new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: !complete })
  } catch {
    return false
  }
  return !/[\u0000-\u0008\u000B\u000E-\u001F\u007F-\u009F]/.test(text)
}

/**
 * The type of a file whose first bytes are `sample` (at least SNIFF_BYTES of it, or the whole
 * file when `complete`), or undefined when CareLocker does not accept it (→ 415). A DICOM
 * stream without its Part-10 preamble is not recognised (SPEC §4.3).
 */
export async function detectContentType(sample: Buffer, complete: boolean): Promise<DetectedType | undefined> {
  if (isDicomPart10(sample)) return detected('application/dicom')
  const found = await fileTypeFromBuffer(sample)
  if (found) {
    const ours = FROM_FILE_TYPE[found.mime]
    // file-type also finds DICM at offset 128; we already answered that above.
    return ours && ours !== 'application/dicom' ? detected(ours) : undefined
  }
  return isPlainText(sample, complete) ? detected('text/plain') : undefined
}

export interface PeekedStream {
  /** The first min(n, size) bytes. */
  head: Buffer
  /** True when the stream ended within the head (head is the whole content). */
  ended: boolean
  /** The whole content again: head, then the rest of source, with source's errors passed on. */
  stream: Readable
}

/**
 * Reads the first `n` bytes of `source` and hands back a stream of the whole content, so a
 * type can be decided before the bytes are stored. Holds at most n bytes plus one chunk.
 * If the returned stream is never consumed, destroy it (or `source`) to release the source.
 */
export async function peekStream(source: Readable, n: number): Promise<PeekedStream> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  const chunks: Buffer[] = []
  let length = 0
  let ended = false
  while (length < n) {
    const next = await iterator.next()
    if (next.done) {
      ended = true
      break
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value)
    chunks.push(chunk)
    length += chunk.length
  }
  const all = Buffer.concat(chunks)
  const head = all.subarray(0, n)

  async function* replay(): AsyncGenerator<Buffer> {
    if (all.length > 0) yield all
    if (ended) return
    for (;;) {
      const next = await iterator.next()
      if (next.done) {
        ended = true
        return
      }
      yield Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value)
    }
  }
  const headEnded = ended
  // Destroying the replay before it finishes must also release the source, even while the
  // generator waits on the source (iterator.return destroys it).
  const stream = Readable.from(replay(), { objectMode: false })
  stream.once('close', () => {
    if (!ended && !source.destroyed) void iterator.return?.().catch(() => undefined)
  })
  return { head, ended: headEnded, stream }
}
