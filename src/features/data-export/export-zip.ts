/**
 * The export zip (SPEC §9 "Take your data and go"), written as a stream (yazl) so that it
 * goes straight into the encrypted blob store and never sits whole in memory:
 *
 * - `README.txt` — what each file is, the date, how to import it elsewhere;
 * - `everything.json` — the `Patient/$everything` searchset Bundle (FHIR R4);
 * - `<ResourceType>.ndjson` — the same Bundle's resources, one file per type, one resource
 *   per line (FHIR Bulk Data's NDJSON format);
 * - `summary.ips.json` — the International Patient Summary document Bundle;
 * - `files/<fileName>` — every live record's original bytes, decrypted one file at a time.
 */
import type { Readable } from 'node:stream'
import type * as fhir4 from 'fhir/r4.js'
import { ZipFile } from 'yazl'
import type { RecordFile } from '../records/records-content.service.js'

/** What goes into the zip. `createdAt` dates the README and every entry. */
export interface ExportParts {
  everything: fhir4.Bundle
  summary: fhir4.Bundle
  files: readonly RecordFile[]
  createdAt: Date
  /** `$PUBLIC_URL`, named in the README. */
  publicUrl: string
}

/** A record's bytes could not be read (missing or altered in storage): the export fails, saying which file. */
export class ExportFileError extends Error {
  constructor(fileName: string, cause: unknown) {
    super(`The file ${fileName} could not be read from storage (its stored bytes are missing or damaged), so the export was not made. Contact the operator of this CareLocker.`)
    this.name = 'ExportFileError'
    this.cause = cause
  }
}

/** The bundle's resources grouped by type, each as NDJSON text (one JSON resource per line); `Patient` first. */
export function ndjsonByType(bundle: fhir4.Bundle): Map<string, string> {
  const byType = new Map<string, string[]>([['Patient', []]])
  for (const entry of bundle.entry ?? []) {
    const resource = entry.resource
    if (!resource) continue
    const lines = byType.get(resource.resourceType) ?? []
    lines.push(JSON.stringify(resource))
    byType.set(resource.resourceType, lines)
  }
  const out = new Map<string, string>()
  for (const [type, lines] of byType) if (lines.length > 0) out.set(type, `${lines.join('\n')}\n`)
  return out
}

/** The README of an export: plain text, no personal data beyond the file names listed. */
export function exportReadme(parts: Pick<ExportParts, 'createdAt' | 'publicUrl' | 'files'>, ndjsonFiles: readonly string[]): string {
  const date = parts.createdAt.toISOString()
  return [
    'CareLocker export',
    '=================',
    '',
    `Made ${date} (UTC) by ${parts.publicUrl}.`,
    'This zip holds everything your locker held when it was made. Keep it somewhere safe: it is not encrypted.',
    '',
    'What each file is',
    '-----------------',
    '- everything.json: all your data as one FHIR R4 Bundle (the result of Patient/$everything): profile, allergies,',
    '  conditions, medications, vital signs, lab results, prescriptions, consultations and your documents (DocumentReference).',
    '- summary.ips.json: an International Patient Summary (HL7 IPS), a FHIR R4 document Bundle any IPS viewer opens.',
    ...(ndjsonFiles.length > 0
      ? ['- ' + ndjsonFiles.join(', ') + ':', '  the resources of everything.json, one file per resource type, one resource per line (FHIR Bulk Data NDJSON).']
      : []),
    `- files/: the original bytes of each of your ${parts.files.length} document(s), under the name the locker filed them as.`,
    '- README.txt: this file.',
    '',
    'How to take it elsewhere',
    '------------------------',
    '- Another CareLocker: sign in, open Import, and choose everything.json (or POST it to /api/v1/patients/me/import);',
    '  every count comes back the same. Documents in files/ can be uploaded on the Records page.',
    '- A FHIR server: POST everything.json after changing its "type" to "transaction" or "batch", or load the NDJSON files',
    '  with the server\'s bulk import ($import).',
    '- A doctor or hospital: give them summary.ips.json, or the documents in files/.',
    '',
  ].join('\n')
}

/**
 * Starts writing the zip and returns its byte stream (for `EncryptedBlobs.write`). A record
 * file that cannot be opened or read destroys the stream with an `ExportFileError`, so the
 * write fails and leaves nothing stored. Files are stored without compression (PDFs and
 * images are compressed already); JSON is deflated.
 */
export function writeExportZip(parts: ExportParts): Readable {
  const zip = new ZipFile()
  const out = zip.outputStream as Readable
  let failed = false
  const fail = (err: unknown) => {
    if (failed) return
    failed = true
    out.destroy(err instanceof Error ? err : new Error(String(err)))
  }
  zip.on('error', fail)
  const mtime = parts.createdAt
  const ndjson = ndjsonByType(parts.everything)
  const ndjsonNames = [...ndjson.keys()].map((t) => `${t}.ndjson`)
  zip.addBuffer(Buffer.from(exportReadme(parts, ndjsonNames), 'utf8'), 'README.txt', { mtime })
  zip.addBuffer(Buffer.from(JSON.stringify(parts.everything, null, 2), 'utf8'), 'everything.json', { mtime })
  for (const [type, text] of ndjson) zip.addBuffer(Buffer.from(text, 'utf8'), `${type}.ndjson`, { mtime })
  zip.addBuffer(Buffer.from(JSON.stringify(parts.summary, null, 2), 'utf8'), 'summary.ips.json', { mtime })
  for (const file of parts.files) {
    zip.addReadStreamLazy(`files/${file.fileName}`, { mtime, size: file.sizeBytes, compress: false }, (cb) => {
      file.open().then(
        (stream) => {
          stream.on('error', (err) => fail(new ExportFileError(file.fileName, err)))
          cb(null, stream)
        },
        (err: unknown) => fail(new ExportFileError(file.fileName, err)),
      )
    })
  }
  zip.end()
  return out
}
