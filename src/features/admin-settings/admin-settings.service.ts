/** Server settings an administrator needs to see (SPEC §6). */
import type { Deps } from '../../app/deps.js'
import type { AdminSettings } from './admin-settings.schema.js'

/**
 * True when `url`'s host is reachable only from this machine: `localhost` and `*.localhost`
 * (RFC 6761 §6.3), IPv4 loopback 127.0.0.0/8, IPv6 loopback `::1` (also IPv4-mapped
 * `::ffff:127.x.x.x`), and the unspecified addresses `0.0.0.0` / `::`. A link or QR code
 * built on such a PUBLIC_URL does not open on a phone or another computer.
 * An unparsable URL is not called local (config validation refuses it anyway).
 */
export function isLocalUrl(url: string): boolean {
  let host: string
  try {
    // The WHATWG parser lower-cases the host and normalizes IPv4 shorthands (`127.1`, `0x7f.1`).
    host = new URL(url).hostname.replace(/\.$/, '')
  } catch {
    return false
  }
  if (host === 'localhost' || host.endsWith('.localhost')) return true
  if (/^127\.\d+\.\d+\.\d+$/.test(host) || host === '0.0.0.0') return true
  if (host.startsWith('[') && host.endsWith(']')) {
    const v6 = host.slice(1, -1)
    // The parser writes IPv4-mapped addresses in hex: ::ffff:127.0.0.1 → ::ffff:7f00:1.
    return v6 === '::1' || v6 === '::' || /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(v6)
  }
  return false
}

/** `{publicUrl, publicUrlIsLocal}` from the running configuration; admins only (route gate). */
export function getAdminSettings(deps: Deps): AdminSettings {
  const { publicUrl } = deps.config
  return { publicUrl, publicUrlIsLocal: isLocalUrl(publicUrl) }
}
