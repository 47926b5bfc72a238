/**
 * The guarded HTTP client of the SMART Health Link import (SPEC §9): the server fetches a URL
 * a user gave, so it must not become a way into the private network (OWASP SSRF prevention).
 *
 * - Only `https:` URLs, or URLs of this server's own origin (`PUBLIC_URL`, any scheme).
 * - The host's addresses are checked when the connection is made (the `lookup` of the
 *   request, so a DNS answer cannot change between the check and the connection): loopback,
 *   private, link-local, shared, multicast and reserved ranges (IPv4 and IPv6, v4-mapped
 *   included) are refused, unless the host is PUBLIC_URL's.
 * - No redirects are followed (a 3xx is the other server failing: 502).
 * - 10 s for the whole exchange, and the caller's `signal` (the receive's overall time limit);
 *   bodies above `maxBytes` are cut and refused (502, or the caller's `tooLarge` error).
 *
 * Errors: ValidationError 400 `shl-url-refused` for a URL or address refused above;
 * AppError 502 `shl-upstream-failed` when the other server cannot be reached, times out,
 * redirects or sends too much. HTTP error statuses are returned to the caller to judge.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import http from 'node:http'
import https from 'node:https'
import { BlockList, isIP, type LookupFunction } from 'node:net'
import { AppError, ValidationError } from '../../../app/errors.js'

export const SHL_FETCH_TIMEOUT_MS = 10_000

const blocked = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, prefix, 'ipv4')
for (const [net, prefix] of [['::', 128], ['::1', 128], ['64:ff9b::', 96], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) {
  blocked.addSubnet(net, prefix, 'ipv6')
}

/** True for an address a fetch must not reach (see the module comment). */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address)
  if (family === 4) return blocked.check(address, 'ipv4')
  if (family !== 6) return true
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped) return blocked.check(mapped[1]!, 'ipv4')
  return blocked.check(address, 'ipv6')
}

const refused = (detail: string) => new ValidationError(detail, [{ path: '/shlink', message: detail }], 'shl-url-refused')
const upstream = (detail: string) => new AppError(502, 'shl-upstream-failed', 'Bad gateway', detail)

export interface FetchPolicy {
  /** This server's PUBLIC_URL: its origin may be plain http and resolve anywhere. */
  publicUrl: string
  maxBytes: number
  timeoutMs?: number
  /** Aborts the request too (an overall deadline shared by several fetches). */
  signal?: AbortSignal
  /** The error for a body above `maxBytes` (default: 502 `shl-upstream-failed`). */
  tooLarge?: () => AppError
}

export interface FetchedResponse {
  status: number
  contentType: string
  body: Buffer
}

/** A `lookup` that refuses private addresses (unless `allowPrivate`). */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0)
      const bad = addresses.find((a) => !allowPrivate && isPrivateAddress(a.address))
      if (bad || addresses.length === 0) return callback(Object.assign(new Error('address refused'), { code: 'SHL_ADDRESS_REFUSED' }), '', 0)
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses)
      return callback(null, addresses[0]!.address, addresses[0]!.family)
    })
  }
}

/**
 * One request to `rawUrl` under the rules of the module comment; resolves with the status,
 * content type and body of any answer that is not a redirect.
 */
export async function guardedFetch(rawUrl: string, init: { method: 'GET' | 'POST'; json?: unknown }, policy: FetchPolicy): Promise<FetchedResponse> {
  let url: URL
  try {
    url = new URL(rawUrl)
  } catch {
    throw refused('The link holds an address that is not a URL.')
  }
  const own = new URL(policy.publicUrl)
  const isOwn = url.origin === own.origin
  if (!isOwn && url.protocol !== 'https:') throw refused('The link must point to an https:// address.')
  if (url.username || url.password) throw refused('The link must not carry a user name or password.')
  const host = url.hostname.replace(/^\[|\]$/g, '')
  if (!isOwn && isIP(host) && isPrivateAddress(host)) throw refused('The link points to a private or local network address.')
  const body = init.json === undefined ? undefined : Buffer.from(JSON.stringify(init.json), 'utf8')
  const client = url.protocol === 'https:' ? https : http
  const timeoutMs = policy.timeoutMs ?? SHL_FETCH_TIMEOUT_MS
  const signal = policy.signal ? AbortSignal.any([AbortSignal.timeout(timeoutMs), policy.signal]) : AbortSignal.timeout(timeoutMs)
  const tooLarge = policy.tooLarge ?? (() => upstream('The other server sent a file larger than this server accepts.'))
  const timedOut = () =>
    upstream(policy.signal?.aborted ? 'The files of the SMART Health Link did not arrive within this server’s time limit.' : `The other server did not answer within ${Math.round(timeoutMs / 1000)} s.`)

  return new Promise<FetchedResponse>((resolve, reject) => {
    const req = client.request(
      url,
      {
        method: init.method,
        headers: { accept: 'application/json, application/jose', ...(body ? { 'content-type': 'application/json', 'content-length': String(body.length) } : {}) },
        lookup: guardedLookup(isOwn),
        signal,
      },
      (res) => {
        const status = res.statusCode ?? 0
        if (status >= 300 && status < 400) {
          res.resume()
          return reject(upstream('The other server answered with a redirect; it is not followed.'))
        }
        const declared = Number(res.headers['content-length'])
        if (Number.isFinite(declared) && declared > policy.maxBytes) {
          res.destroy()
          return reject(tooLarge())
        }
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > policy.maxBytes) {
            res.destroy()
            reject(tooLarge())
            return
          }
          chunks.push(chunk)
        })
        res.on('end', () => resolve({ status, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks) }))
        res.on('error', () => reject(signal.aborted ? timedOut() : upstream('The other server broke off its answer.')))
        res.on('close', () => {
          if (!res.complete) reject(signal.aborted ? timedOut() : upstream('The other server broke off its answer.'))
        })
      },
    )
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'SHL_ADDRESS_REFUSED') reject(refused('The link points to a private or local network address.'))
      else if (err.name === 'AbortError' || err.name === 'TimeoutError' || signal.aborted) reject(timedOut())
      else reject(upstream('The other server could not be reached.'))
    })
    req.end(body)
  })
}
