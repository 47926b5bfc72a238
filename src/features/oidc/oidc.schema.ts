/** Request and response schemas of OpenID Connect sign-in (SPEC §8). */
import { z } from 'zod'

/** `GET /auth/oidc`: whether the sign-in form shows the provider's button, and its label. */
export const OidcStatus = z
  .object({
    enabled: z.boolean(),
    name: z.string().optional().describe('The provider\'s name for the button ("Sign in with <name>"), when enabled.'),
  })
  .strict()

/** `GET /auth/oidc/start` takes nothing. */
export const StartQuery = z.object({}).strict()

const Param = z.union([z.string().max(4096), z.array(z.string().max(4096))]).optional()

/**
 * `GET /auth/oidc/callback`: the authorization response (RFC 6749 §4.1.2, RFC 9207 `iss`).
 * Not strict on purpose: providers add their own parameters (Google: `authuser`, `hd`,
 * `prompt`, `scope`; others `session_state`), which are ignored. The service reads the raw
 * query string, so a repeated parameter is refused there, with a page.
 */
export const CallbackQuery = z
  .object({ code: Param, state: Param, iss: Param, error: Param, error_description: Param })
  .catchall(Param)
