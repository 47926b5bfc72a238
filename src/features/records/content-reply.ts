/** HTTP side of a record download, shared by every route that serves a record's bytes. */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { RecordContent } from './records.service.js'

/** Writes a download's headers (SPEC §4.3: type, attachment name, ETag, no-store, ranges) and body. */
export function sendRecordContent(reply: FastifyReply, c: RecordContent): FastifyReply {
  reply.headers({
    etag: c.etag,
    'cache-control': 'no-store',
    'accept-ranges': 'bytes',
  })
  if (c.status === 304) return reply.code(304).send()
  reply.headers({
    'content-type': c.record.contentType === 'text/plain' ? 'text/plain; charset=utf-8' : c.record.contentType,
    'content-disposition': `attachment; filename="${c.record.fileName}"`,
    'content-length': String(c.length),
  })
  if (c.status === 206) reply.code(206).header('content-range', `bytes ${c.start}-${c.end}/${c.record.sizeBytes}`)
  return reply.send(c.stream)
}

/** A request header as one string (repeated headers joined), or undefined. */
export const headerOf = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name]
  return Array.isArray(v) ? v.join(', ') : v
}
