/**
 * The few types of `oidc-provider` (no types ship with it; @types/oidc-provider is not
 * installed) that `oidc-provider.ts` uses: a test-only OpenID Provider.
 */
declare module 'oidc-provider' {
  import type { Server } from 'node:http'

  export interface AccountClaims {
    sub: string
    [claim: string]: unknown
  }
  export interface Account {
    accountId: string
    claims(use: string, scope: string): AccountClaims | Promise<AccountClaims>
  }
  export interface Configuration {
    clients?: Array<Record<string, unknown>>
    claims?: Record<string, string[] | null>
    scopes?: string[]
    features?: Record<string, { enabled: boolean } & Record<string, unknown>>
    findAccount?: (ctx: unknown, id: string) => Promise<Account | undefined> | Account | undefined
    pkce?: { required?: () => boolean }
    cookies?: { keys?: string[] }
    ttl?: Record<string, number>
    [key: string]: unknown
  }
  export class Provider {
    constructor(issuer: string, configuration?: Configuration)
    listen(port: number, host?: string, cb?: () => void): Server
    proxy: boolean
    on(event: string, listener: (...args: unknown[]) => void): this
  }
  export default Provider
}
