/** HTTP side of a record download, shared by every route that serves a record's bytes. */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { RecordView } from './records.queries.js'
import type { RecordContent } from './records-content.service.js'

/** The entity headers of a record's bytes (SPEC §4.3): type, attachment name, ETag, no-store, ranges. */
function setRecordHeaders(reply: FastifyReply, record: Pick<RecordView, 'contentType' | 'fileName' | 'sha256'>): void {
  reply.headers({
    etag: `"${record.sha256}"`,
    'cache-control': 'no-store',
    'accept-ranges': 'bytes',
    'content-type': record.contentType === 'text/plain' ? 'text/plain; charset=utf-8' : record.contentType,
    'content-disposition': `attachment; filename="${record.fileName}"`,
  })
}

/** Writes a download's headers and body (or a bare 304). */
export function sendRecordContent(reply: FastifyReply, c: RecordContent): FastifyReply {
  if (c.status === 304) return reply.code(304).headers({ etag: c.etag, 'cache-control': 'no-store', 'accept-ranges': 'bytes' }).send()
  setRecordHeaders(reply, c.record)
  reply.header('content-length', String(c.length))
  if (c.status === 206) reply.code(206).header('content-range', `bytes ${c.start}-${c.end}/${c.record.sizeBytes}`)
  return reply.send(c.stream)
}

/** Answers a `HEAD` of a record's bytes from its metadata alone: nothing read or decrypted. */
export function sendRecordHead(reply: FastifyReply, record: Pick<RecordView, 'contentType' | 'fileName' | 'sha256' | 'sizeBytes'>): FastifyReply {
  setRecordHeaders(reply, record)
  return reply.header('content-length', String(record.sizeBytes)).send()
}

/** A request header as one string (repeated headers joined), or undefined. */
export const headerOf = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name]
  return Array.isArray(v) ? v.join(', ') : v
}
