/**
 * What happens to the rest of a request body when the answer leaves before it was read to its
 * end: a refused upload (400, 413, 415) is decided from its first bytes (SPEC §4.3).
 *
 * Node reads a kept-alive connection only as fast as the request stream is consumed. A body a
 * parser started on and then abandoned (busboy unpiped after a refused file, or stalled by
 * back-pressure on a file part nobody reads) keeps the socket paused, and Node does not drain a
 * request stream that was already consumed. The client then either never finishes sending —
 * so it may never see the answer — or, when its body fitted in the socket buffers, sees the
 * answer and waits forever for its next request on that connection.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'

/** A rest up to this size is read and discarded, keeping the connection; beyond, it is closed. */
export const DISCARD_LIMIT_BYTES = 4 * 1024 * 1024
/** A discard not finished by then (a client that stopped sending) ends with the connection. */
export const DISCARD_TIMEOUT_MS = 30_000

/**
 * Fastify `onSend` hook for routes that stream their request body. When the body is not yet
 * read to its end, detaches whatever was reading it and discards the rest. When the body
 * may hold more than DISCARD_LIMIT_BYTES (a larger `Content-Length`, or chunked with no length),
 * the answer also gets `Connection: close`, so Node closes the connection once the answer is
 * written instead of reading a large body nobody wants; a smaller rest is read to its end and the
 * connection stays usable for the client's next request. Returns `payload` unchanged.
 */
export async function discardUnreadBody<P>(req: FastifyRequest, reply: FastifyReply, payload: P): Promise<P> {
  const raw = req.raw
  if (raw.destroyed || raw.readableEnded || (raw.complete && raw.readableLength === 0)) return payload
  const declared = Number(req.headers['content-length'])
  if (!raw.complete && !(declared <= DISCARD_LIMIT_BYTES)) reply.header('connection', 'close')
  const timer = setTimeout(() => raw.socket?.destroy(), DISCARD_TIMEOUT_MS).unref()
  const stop = () => clearTimeout(timer)
  raw.once('end', stop).once('close', stop)
  // unpipe() pauses the stream; resume() then lets it flow with nobody listening, which drops the data.
  raw.unpipe()
  raw.resume()
  return payload
}
