/**
 * The `export.xml` inside the `.zip` the iPhone Health app exports (SPEC §9), read as a
 * stream with yauzl (central directory first, entries one at a time: nothing inflated but
 * the one entry). Guards: macOS metadata (`__MACOSX/`, `._*`, `.DS_Store`) is ignored, an
 * encrypted entry is refused, and the inflated size and compression ratio are capped (zip
 * bombs). `checkExportXmlInZip` runs the same checks before the import's transaction opens.
 */
import { Transform, type Readable } from 'node:stream'
import yauzl, { type Entry, type ZipFile } from 'yauzl'
import { PayloadTooLargeError, ValidationError } from '../../../app/errors.js'

/** The export's own path: `apple_health_export/export.xml` (not `export_cda.xml`, not macOS's `__MACOSX/…/._export.xml`). */
export const EXPORT_XML_NAME = 'apple_health_export/export.xml'

/** True for the export's `export.xml`, wherever the archive put the `apple_health_export/` folder. */
export function isExportXml(name: string): boolean {
  if (name.startsWith('__MACOSX/') || name.includes('/__MACOSX/')) return false
  return name === EXPORT_XML_NAME || name.endsWith(`/${EXPORT_XML_NAME}`)
}

const openZip = (file: string) =>
  new Promise<ZipFile>((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: false, validateEntrySizes: true }, (err, zip) => (err ? reject(err) : resolve(zip)))
  })

/** The first entry `wanted` accepts, or undefined at the end of the central directory. */
const findEntry = (zip: ZipFile, wanted: (e: Entry) => boolean) =>
  new Promise<Entry | undefined>((resolve, reject) => {
    const onEntry = (entry: Entry) => {
      if (wanted(entry)) done(entry)
      else zip.readEntry()
    }
    const done = (entry: Entry | undefined, err?: Error) => {
      zip.off('entry', onEntry).off('end', onEnd).off('error', onError)
      if (err) reject(err)
      else resolve(entry)
    }
    const onEnd = () => done(undefined)
    const onError = (err: Error) => done(undefined, err)
    zip.on('entry', onEntry).once('end', onEnd).once('error', onError)
    zip.readEntry()
  })

const mb = (bytes: number) => Math.round(bytes / 1048576)

/**
 * The most export.xml may inflate per compressed byte. A real export deflates about 10–30×
 * (repetitive XML); a zip bomb deflates about 1000×. Above it: 413 before any transaction
 * (security review M2: a small zip must not hold a database connection for gigabytes).
 */
export const MAX_EXPORT_XML_RATIO = 200

/** A yauzl entry's compression ratio (uncompressed / compressed; a stored empty entry is 1). */
const ratioOf = (entry: Entry) => entry.uncompressedSize / Math.max(entry.compressedSize, 1)

/**
 * Opens `file` and finds its export.xml entry, checked: ValidationError (400) for a damaged
 * zip, a missing or encrypted entry; PayloadTooLargeError (413) when it declares more than
 * `maxBytes` or a ratio above MAX_EXPORT_XML_RATIO. The zip is closed when this throws.
 */
async function openCheckedEntry(file: string, maxBytes: number): Promise<{ zip: ZipFile; entry: Entry }> {
  let zip: ZipFile
  try {
    zip = await openZip(file)
  } catch (err) {
    throw new ValidationError(`The zip archive cannot be read: ${(err as Error).message}.`)
  }
  try {
    let entry: Entry | undefined
    try {
      entry = await findEntry(zip, (e) => isExportXml(e.fileName))
    } catch (err) {
      throw new ValidationError(`The zip archive is damaged: ${(err as Error).message}.`)
    }
    if (!entry) throw new ValidationError(`This zip has no ${EXPORT_XML_NAME}: send the .zip the Health app exports, or the export.xml in it.`)
    if (entry.isEncrypted()) throw new ValidationError(`The zip's ${EXPORT_XML_NAME} is encrypted; CareLocker cannot read it.`)
    if (entry.uncompressedSize > maxBytes) {
      throw new PayloadTooLargeError(`The zip's ${EXPORT_XML_NAME} unpacks to more than ${mb(maxBytes)} MB.`)
    }
    if (ratioOf(entry) > MAX_EXPORT_XML_RATIO) {
      throw new PayloadTooLargeError(
        `The zip's ${EXPORT_XML_NAME} is compressed more than ${MAX_EXPORT_XML_RATIO}:1, which no Health app export is; CareLocker refuses it as a zip bomb.`,
      )
    }
    return { zip, entry }
  } catch (err) {
    zip.close()
    throw err
  }
}

/**
 * The checks of `openExportXmlInZip` without inflating anything (see `openCheckedEntry` for
 * what it throws); the import runs it before its transaction opens (security review M2).
 */
export async function checkExportXmlInZip(file: string, maxBytes: number): Promise<void> {
  const { zip } = await openCheckedEntry(file, maxBytes)
  zip.close()
}

/**
 * Opens `file` (a spooled zip) and returns the inflating stream of its export.xml, at most
 * `maxBytes` inflated (MAX_IMPORT_ARCHIVE_MB), and `close()` for the archive (call it when
 * done, whatever happened). Throws as `checkExportXmlInZip`; the stream fails with a 413 past
 * `maxBytes` and yauzl's error when the inflated size differs from the declared one (so the
 * declared ratio holds too).
 */
export async function openExportXmlInZip(file: string, maxBytes: number): Promise<{ stream: Readable; close(): void }> {
  const { zip, entry } = await openCheckedEntry(file, maxBytes)
  try {
    const found = entry
    const inflated = await new Promise<Readable>((resolve, reject) => {
      zip.openReadStream(found, (err, stream) => (err ? reject(new ValidationError(`The zip's ${EXPORT_XML_NAME} cannot be read: ${err.message}.`)) : resolve(stream)))
    })
    // yauzl already checks the inflated size against the declared one; this caps it on its own too.
    let size = 0
    const cap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length
        if (size > maxBytes) done(new PayloadTooLargeError(`The zip's ${EXPORT_XML_NAME} unpacks to more than ${mb(maxBytes)} MB.`))
        else done(null, chunk)
      },
    })
    inflated.on('error', (err) => cap.destroy(err))
    cap.on('close', () => inflated.destroy())
    return { stream: inflated.pipe(cap), close: () => zip.close() }
  } catch (err) {
    zip.close()
    throw err
  }
}
