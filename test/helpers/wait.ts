/** Polls `check` every 50 ms until it returns a truthy value; throws after `timeoutMs`. */
export async function waitUntil<T>(check: () => Promise<T> | T, timeoutMs = 10_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value as NonNullable<T>
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/**
 * Resolves with the first item of `seen` (already received) or the first `event` emitted
 * later that matches; rejects after `timeoutMs`. Used by the SMTP and Twilio test peers.
 */
export function waitForMatch<T>(
  seen: readonly T[],
  events: { on(e: string, l: (x: T) => void): unknown; off(e: string, l: (x: T) => void): unknown },
  event: string,
  match: (x: T) => boolean,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const found = seen.find(match)
  if (found) return Promise.resolve(found)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      events.off(event, onItem)
      reject(new Error(`No matching ${what} within ${timeoutMs} ms (${seen.length} received).`))
    }, timeoutMs)
    const onItem = (x: T) => {
      if (!match(x)) return
      clearTimeout(timer)
      events.off(event, onItem)
      resolve(x)
    }
    events.on(event, onItem)
  })
}
