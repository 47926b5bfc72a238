/**
 * Sessions as their owner manages them (SPEC §4.1, §8): refresh-token rotation with reuse
 * detection and the two lifetimes, the list of live sessions, and revoking one.
 *
 * Lifetimes (`SESSION_IDLE_DAYS`, `SESSION_MAX_DAYS`, decimals allowed): a session ends
 * when it has not been refreshed for `idleDays` (since `last_used_at`: sign-in, then every
 * refresh) or `maxDays` after sign-in (`created_at`). A refresh past either is 401
 * `session-expired` and revokes the session. An access token already issued lives out its
 * 15 minutes; a revoked session's tokens stop at once.
 */
import type { Deps } from '../../app/deps.js'
import { NotFoundError, UnauthorizedError } from '../../app/errors.js'
import type { UserActor } from '../../policy/index.js'
import * as q from './accounts.queries.js'
import { sessionTag } from './accounts.service.js'
import type { Session } from './sign-in.js'
import * as sq from './sessions.queries.js'
import { ACCESS_TOKEN_TTL_SECONDS, hashToken, newRefreshToken, signAccessToken } from './tokens.js'

const DAY_MS = 86_400_000

/** The instants before which a session is past its idle or absolute lifetime, at `now`. */
export function lifetimeCutoffs(deps: Deps, now: Date): sq.LifetimeCutoffs {
  const { idleDays, maxDays } = deps.config.sessions
  return { idleBefore: new Date(now.getTime() - idleDays * DAY_MS), createdBefore: new Date(now.getTime() - maxDays * DAY_MS) }
}

/**
 * Rotates a refresh token: the old one stops working and the session's `last_used_at`
 * becomes now. Presenting one that was already used revokes the whole session (reuse
 * detection, SPEC §4.1): 401 `refresh-token-reused`. A session past a lifetime is revoked:
 * 401 `session-expired`. Unknown, revoked or disabled: 401 `invalid-refresh-token`.
 */
export async function refresh(deps: Deps, refreshToken: string): Promise<Session> {
  const tokenHash = hashToken(refreshToken)
  const now = deps.now()
  const end = async (trx: Parameters<typeof q.revokeSession>[0], sessionId: string, reason: string) => {
    await q.revokeSession(trx, sessionId, reason, now)
    await deps.database.cache.invalidate(trx, [sessionTag(sessionId)])
  }
  const outcome = await deps.db.transaction().execute(async (trx) => {
    const consumed = await q.consumeRefreshToken(trx, tokenHash, now)
    if (!consumed) {
      const known = await q.findRefreshToken(trx, tokenHash)
      if (known) await end(trx, known.sessionId, 'refresh-token-reuse')
      return { refused: known ? 'reused' : 'invalid' } as const
    }
    const { sessionId } = consumed
    if (!(await sq.touchLiveSession(trx, sessionId, now, lifetimeCutoffs(deps, now)))) {
      const live = await q.findLiveSessionUser(trx, sessionId)
      if (!live) return { refused: 'invalid' } as const
      await end(trx, sessionId, 'expired')
      return { refused: 'expired' } as const
    }
    const user = await q.findLiveSessionUser(trx, sessionId)
    if (!user) return { refused: 'invalid' } as const
    const next = newRefreshToken()
    await q.insertRefreshToken(trx, sessionId, hashToken(next), now)
    const accessToken = await signAccessToken(deps.config.jwtSecret, { userId: user.id, sessionId }, now)
    const session: Session = { user, accessToken, refreshToken: next, expiresIn: ACCESS_TOKEN_TTL_SECONDS, sessionId }
    return { refused: undefined, session }
  })
  if (outcome.refused === undefined) return outcome.session
  switch (outcome.refused) {
    case 'reused':
      throw new UnauthorizedError('This refresh token was already used; the session has been ended for safety.', 'refresh-token-reused')
    case 'expired':
      throw new UnauthorizedError('This session has expired. Sign in again.', 'session-expired')
    default:
      throw new UnauthorizedError('The refresh token is not valid.', 'invalid-refresh-token')
  }
}

/** One live session as its owner sees it; `current` is the caller's own. */
export interface SessionView {
  id: string
  current: boolean
  createdAt: Date
  lastUsedAt: Date
  ip: string | null
  userAgent: string | null
}

/** `GET /auth/sessions`: the caller's sessions that are not revoked nor past a lifetime, most recently used first. */
export async function listSessions(deps: Deps, actor: UserActor): Promise<SessionView[]> {
  const rows = await sq.listLiveSessions(deps.db, actor.id, lifetimeCutoffs(deps, deps.now()))
  return rows.map((r) => ({ ...r, current: r.id === actor.sessionId }))
}

/**
 * `DELETE /auth/sessions/{id}`: ends one of the caller's sessions (their current one too,
 * like signing out); its access and refresh tokens stop at once on every node. Throws
 * NotFoundError for a session that is not the caller's, unknown or already ended.
 * Audit: `auth.session_revoked` (resource: the session).
 */
export async function revokeSession(deps: Deps, actor: UserActor, sessionId: string): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    if (!(await sq.revokeOwnSession(trx, actor.id, sessionId, 'revoked-by-user', deps.now()))) throw new NotFoundError('Session not found.')
    await deps.database.cache.invalidate(trx, [sessionTag(sessionId)])
    await deps.audit.record(trx, actor, 'auth.session_revoked', {
      patientId: actor.role === 'patient' ? actor.id : null,
      resource: { type: 'session', id: sessionId },
    })
  })
}
