/**
 * The child side of the bench's IPC (protocol.ts), shared by the product server
 * (server.ts) and the bare yardstick (yardstick-server.ts): each request is answered with
 * `{id, ok, value}` or `{id, ok: false, error}`; when the parent goes away, `stop` runs and
 * the process exits.
 */
import type { MemoryTracker } from './memory-tracker.js'
import type { ServerReply } from './protocol.js'

/** The operations every child answers alike: memory marks and the stop. */
type CommonOp = 'mark-memory' | 'peak-memory' | 'stop'

/**
 * Answers the parent's requests: `mark-memory`/`peak-memory` from `memory`, `stop` by
 * stopping `memory` and running `stop`; every other operation through `handle`.
 */
export function serveIpc<Req extends { id: number; op: string }>(
  handle: (req: Exclude<Req, { op: CommonOp }>) => Promise<unknown>,
  memory: MemoryTracker,
  close: () => Promise<void>,
): void {
  const stop = async () => {
    memory.stop()
    await close()
  }
  const answer = (req: Req): Promise<unknown> =>
    req.op === 'mark-memory' ? memory.mark() : req.op === 'peak-memory' ? memory.peak() : req.op === 'stop' ? stop() : handle(req as Exclude<Req, { op: CommonOp }>)
  process.on('message', (message: Req) => {
    answer(message).then(
      (value) => process.send?.({ id: message.id, ok: true, value: value ?? null } satisfies ServerReply),
      (err: unknown) => process.send?.({ id: message.id, ok: false, error: err instanceof Error ? err.stack ?? err.message : String(err) } satisfies ServerReply),
    )
  })
  // The parent is gone (or done): close what is open and leave.
  process.on('disconnect', () => {
    stop().finally(() => process.exit(0))
  })
}
