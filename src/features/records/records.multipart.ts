/**
 * The multipart protocol of a record upload (SPEC §4.3, RFC 7578), next to the routes: the
 * parser's limits, its errors as problems, and the walk over the parts — text fields checked
 * one by one as they arrive, the one `file` part handed on as a stream. The upload service
 * gets an {@link UploadBody}, never the request.
 */
import type { FastifyRequest } from 'fastify'
import type { Readable } from 'node:stream'
import type { Deps } from '../../app/deps.js'
import { AppError, PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../../app/errors.js'
import { fieldErrorsOf, jsonPointer } from '../../app/field-errors.js'
import type { UploadBody, UploadFile } from './records-upload.service.js'
import { UploadFields } from './records.schema.js'

/** Options of @fastify/multipart for the upload route: one file of at most MAX_UPLOAD_MB, a handful of short fields. */
export const multipartOptions = (deps: Deps) => ({
  limits: {
    fileSize: deps.config.maxUploadBytes,
    files: 1,
    fields: 10,
    parts: 12,
    fieldNameSize: 100,
    fieldSize: 16 * 1024,
    headerPairs: 50,
  },
  throwFileSizeLimit: true,
})

/** A text field. `truncated`: the name or value was over its limit. */
interface FieldPart {
  type: 'field'
  name: string
  value: string
  truncated: boolean
}

/** A file part, named by its form field. */
interface FilePart extends UploadFile {
  type: 'file'
  name: string
}

/** A multipart parser error as a domain error (400 / 413 / 415 with a field path where there is one). */
function toUploadError(err: unknown, deps: Deps): unknown {
  if (err instanceof AppError) return err
  switch ((err as { code?: string }).code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return new PayloadTooLargeError(`A file may be at most ${deps.config.maxUploadBytes / (1024 * 1024)} MB.`)
    case 'FST_FILES_LIMIT':
      return new ValidationError('Send exactly one file.', [{ path: '/file', message: 'Only one file per upload.' }])
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
      return new ValidationError('Too many form fields.')
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new UnsupportedMediaTypeError('Send the file as multipart/form-data.')
    case 'FST_MP_PREMATURE_CLOSE':
      return err // the client is gone; nobody reads the answer
    default:
      // busboy's own parse errors (no boundary, truncated part, prototype names, bad JSON field).
      return new ValidationError('The multipart body is malformed.')
  }
}

/**
 * The request's parts: a file whose size hits the limit errors at once with 413 (busboy
 * would otherwise just end it, marked truncated). Only the parser's own errors are mapped
 * here; whatever the consumer throws is its own.
 */
async function* partsOf(req: FastifyRequest, deps: Deps): AsyncGenerator<FieldPart | FilePart> {
  try {
    for await (const part of req.parts()) {
      if (part.type === 'field') {
        yield { type: 'field', name: part.fieldname, value: String(part.value), truncated: part.fieldnameTruncated || part.valueTruncated }
      } else {
        const file: Readable & { truncated: boolean } = part.file
        file.once('limit', () => file.destroy(toUploadError({ code: 'FST_REQ_FILE_TOO_LARGE' }, deps) as Error))
        yield { type: 'file', name: part.fieldname, fileName: part.filename, stream: file, truncated: () => file.truncated }
      }
    }
  } catch (err) {
    throw toUploadError(err, deps)
  }
}

const UPLOAD_FIELD_NAMES: ReadonlySet<string> = new Set(Object.keys(UploadFields.shape))

/** One text field checked on arrival, so a bad value is refused before a file that follows it is stored. */
function checkField(part: FieldPart, fields: Record<string, string>): void {
  const path = jsonPointer([part.name])
  if (!UPLOAD_FIELD_NAMES.has(part.name)) throw new ValidationError('Unknown field.', [{ path, message: 'Unknown field.' }])
  if (part.truncated) throw new ValidationError('A field is too long.', [{ path, message: 'Too long.' }])
  if (Object.hasOwn(fields, part.name)) throw new ValidationError('A field was sent twice.', [{ path, message: 'Send this field once.' }])
  const checked = UploadFields.shape[part.name as keyof typeof UploadFields.shape].safeParse(part.value)
  if (!checked.success) throw new ValidationError('The upload fields are invalid.', fieldErrorsOf(checked.error.issues, path))
}

/**
 * The upload body of `req` (multipart/form-data, parts in any order): one `file`, and the
 * fields of `UploadFields`. Nothing is read before the service calls `read`. `read` throws
 * ValidationError (400, with the field's path) for an unknown, repeated, too long or invalid
 * field, a file under another name, no file or more than one, a malformed body;
 * UnsupportedMediaTypeError (415) for another content type; PayloadTooLargeError (413).
 */
export function uploadBodyOf(req: FastifyRequest, deps: Deps): UploadBody {
  return {
    async read(storeFile) {
      const fields: Record<string, string> = {}
      let stored: { file: Awaited<ReturnType<typeof storeFile>> } | undefined
      for await (const part of partsOf(req, deps)) {
        if (part.type === 'field') {
          checkField(part, fields)
          fields[part.name] = part.value
          continue
        }
        if (part.name !== 'file') {
          part.stream.destroy()
          throw new ValidationError('Unknown file field.', [{ path: jsonPointer([part.name]), message: 'Unknown field; send the file as "file".' }])
        }
        // At most one file reaches here (the parser's files limit is 1).
        stored = { file: await storeFile(part) }
      }
      if (!stored) throw new ValidationError('A file is required.', [{ path: '/file', message: 'Required.' }])
      const parsed = UploadFields.safeParse(fields)
      if (!parsed.success) throw new ValidationError('The upload fields are invalid.', fieldErrorsOf(parsed.error.issues))
      return { fields: parsed.data, file: stored.file }
    },
  }
}
