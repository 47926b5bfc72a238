/**
 * The child side of the bench's IPC (protocol.ts), shared by the product server
 * (server.ts) and the bare yardstick (yardstick-server.ts): each request is answered with
 * `{id, ok, value}` or `{id, ok: false, error}`; when the parent goes away, `stop` runs and
 * the process exits.
 */
import type { ServerReply } from './protocol.js'

export function serveIpc<Req extends { id: number }>(handle: (req: Req) => Promise<unknown>, stop: () => Promise<void>): void {
  process.on('message', (message: Req) => {
    handle(message).then(
      (value) => process.send?.({ id: message.id, ok: true, value: value ?? null } satisfies ServerReply),
      (err: unknown) => process.send?.({ id: message.id, ok: false, error: err instanceof Error ? err.stack ?? err.message : String(err) } satisfies ServerReply),
    )
  })
  // The parent is gone (or done): close what is open and leave.
  process.on('disconnect', () => {
    stop().finally(() => process.exit(0))
  })
}
