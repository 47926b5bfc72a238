/**
 * A real OpenID Provider for tests (`oidc-provider`, the certified Node implementation) on a
 * loopback port, with one confidential client and accounts the test defines, and a tiny
 * browser (`OidcBrowser`) that walks its redirect dance with plain HTTP: it follows the
 * provider's redirects, posts its development login and consent forms, carries its cookies,
 * and stops at the relying party's redirect URI so the test can hand that URL to the app.
 */
import type { AddressInfo } from 'node:net'
import { createServer, type Server } from 'node:http'
import { randomBytes } from 'node:crypto'
import Provider from 'oidc-provider'

/** What the provider says about an account (claims of the `email` and `profile` scopes). */
export interface ProviderAccount {
  email?: string
  email_verified?: boolean
  name?: string
}

export interface TestOidcProvider {
  /** `http://127.0.0.1:<port>`: OIDC_ISSUER. */
  issuer: string
  clientId: string
  clientSecret: string
  /** Defines (or changes) the account signed in as `sub` at the login form. */
  setAccount(sub: string, account: ProviderAccount): void
  /** OIDC_* variables for `startTestApp`. */
  env(name?: string): Record<string, string>
  close(): Promise<void>
}

/**
 * Starts a provider on 127.0.0.1 whose client `carelocker` redirects to `redirectUri`.
 * `devInteractions` gives it a login form (any login; the login is the account's `sub`)
 * and a consent form. PKCE is required of every client, as OAuth 2.1 does.
 */
export async function startOidcProvider(redirectUri: string): Promise<TestOidcProvider> {
  const accounts = new Map<string, ProviderAccount>()
  const clientId = 'carelocker'
  const clientSecret = randomBytes(24).toString('base64url')
  // The port must be known before the Provider is built (its issuer names it).
  const probe = await listenOn(undefined)
  const port = (probe.address() as AddressInfo).port
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  const issuer = `http://127.0.0.1:${port}`
  const provider = new Provider(issuer, {
    clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [redirectUri], grant_types: ['authorization_code'], response_types: ['code'] }],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    scopes: ['openid', 'email', 'profile'],
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    // Lifetimes of its artifacts in seconds (set, so it does not log that defaults were used).
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
    findAccount: (_ctx, id) => {
      const account = accounts.get(id)
      if (!account) return undefined
      return { accountId: id, claims: () => ({ sub: id, ...account }) }
    },
  })
  const server = await listenOn(port, provider)
  return {
    issuer,
    clientId,
    clientSecret,
    setAccount: (sub, account) => void accounts.set(sub, account),
    env: (name = 'Test Provider') => ({ OIDC_ISSUER: issuer, OIDC_CLIENT_ID: clientId, OIDC_CLIENT_SECRET: clientSecret, OIDC_NAME: name }),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}

function listenOn(port: number | undefined, provider?: Provider): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = provider ? provider.listen(port ?? 0, '127.0.0.1') : createServer().listen(0, '127.0.0.1')
    server.once('error', reject)
    server.once('listening', () => resolve(server))
  })
}

/**
 * A cookie-carrying HTTP client for the provider's side of the dance (fetch, no redirect
 * following by itself). `signIn` goes from an authorization URL to the redirect back to the
 * relying party and returns that URL (with `code`, `state`, `iss`), never requesting it.
 */
export class OidcBrowser {
  private readonly cookies = new Map<string, string>()

  constructor(private readonly redirectUri: string) {}

  /** GET or POST `url` with the jar's cookies; stores the answer's cookies. */
  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = {}
    const jar = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    if (jar) headers.cookie = jar
    let body: string | undefined
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded'
      body = new URLSearchParams(init.form).toString()
    }
    const res = await fetch(url, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, body, redirect: 'manual' })
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const eq = pair!.indexOf('=')
      const name = pair!.slice(0, eq).trim()
      const value = pair!.slice(eq + 1).trim()
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === '') this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    return res
  }

  /**
   * Follows redirects from `url` (and posts the forms in `forms`: 'login' with `login` as the
   * account, 'consent' to accept, or 'abort' to press Cancel) until the provider redirects to
   * the relying party. Returns that redirect URL.
   */
  async signIn(url: string, login: string, opts: { abort?: boolean } = {}): Promise<URL> {
    let next: { url: string; form?: Record<string, string> } = { url }
    for (let hop = 0; hop < 20; hop++) {
      const res = await this.request(next.url, next.form ? { form: next.form } : {})
      const location = res.headers.get('location')
      if (location) {
        const target = new URL(location, next.url)
        if (target.href.startsWith(this.redirectUri)) return target
        next = { url: target.href }
        continue
      }
      const page = await res.text()
      if (res.status !== 200) throw new Error(`provider answered ${res.status}: ${page.slice(0, 300)}`)
      const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1]?.replace(/&amp;/g, '&')
      const prompt = /name="prompt" value="([a-z]+)"/.exec(page)?.[1]
      if (!action || !prompt) throw new Error(`no interaction form on the provider's page: ${page.slice(0, 300)}`)
      if (opts.abort) {
        const abort = /href="([^"]+\/abort)"/.exec(page)?.[1]
        if (!abort) throw new Error('no Cancel link on the provider page')
        next = { url: new URL(abort, next.url).href }
        continue
      }
      const form: Record<string, string> = prompt === 'login' ? { prompt, login, password: 'any' } : { prompt }
      next = { url: new URL(action, next.url).href, form }
    }
    throw new Error('too many redirects at the provider')
  }
}
