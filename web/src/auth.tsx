/** Who is signed in, for the whole app. The tokens themselves stay in api/client.ts. */
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react'
import { api, onSessionChange, resumeSession, signOut, unwrap } from './api/client'
import type { Role, User } from './api/types'

interface AuthState {
  /** undefined while the first page load is resuming a session. */
  user: User | null | undefined
  /** True when the last session ended without the user signing out (the refresh was refused). */
  sessionEnded: boolean
  /** Re-reads the account (a pending doctor may have been verified meanwhile). */
  reloadUser: () => Promise<void>
  signOut: () => Promise<void>
}

const AuthContext = createContext<AuthState | null>(null)

let resuming: Promise<User | null> | null = null

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null | undefined>(undefined)
  const [sessionEnded, setSessionEnded] = useState(false)

  useEffect(() => {
    const off = onSessionChange((u, end) => {
      setUser(u)
      setSessionEnded(u === null && end === 'ended')
    })
    resuming ??= resumeSession()
    void resuming.then((u) => setUser((current) => (current === undefined ? u : current)))
    return () => {
      off()
    }
  }, [])

  const reloadUser = useCallback(async () => {
    const { user: fresh } = await unwrap(api.GET('/api/v1/auth/me'))
    setUser(fresh)
  }, [])

  const doSignOut = useCallback(async () => {
    await signOut()
    setUser(null)
  }, [])

  return <AuthContext.Provider value={{ user, sessionEnded, reloadUser, signOut: doSignOut }}>{children}</AuthContext.Provider>
}

export function useAuth(): AuthState {
  const ctx = useContext(AuthContext)
  if (!ctx) throw new Error('useAuth outside AuthProvider')
  return ctx
}

/** The signed-in user; only for components rendered behind `RequireRole`. */
export function useUser(): User {
  const { user } = useAuth()
  if (!user) throw new Error('useUser without a signed-in user')
  return user
}

export const HOME_OF: Record<Role, string> = {
  patient: '/patient',
  doctor: '/doctor',
  pharmacist: '/pharmacist',
  admin: '/admin',
}

/**
 * Where to go after signing in: `from` (the page the user was on) when it is a path of this
 * app inside the user's own section — a relative, same-origin path, never `//host` or a URL —
 * or a caregiver invitation page (SPEC §10); otherwise the role's home.
 */
export function returnPath(from: unknown, role: Role): string {
  const home = HOME_OF[role]
  if (typeof from !== 'string' || !from.startsWith('/') || from.startsWith('//') || from.includes('\\')) return home
  let url: URL
  try {
    url = new URL(from, window.location.origin)
  } catch {
    return home
  }
  if (url.origin !== window.location.origin) return home
  const inSection = url.pathname === home || url.pathname.startsWith(`${home}/`)
  // A caregiver invitation (SPEC §10) is accepted after signing in, whatever the section.
  const invitation = url.pathname.startsWith('/caregiver-invitations/')
  return inSection || invitation ? `${url.pathname}${url.search}${url.hash}` : home
}

export const ROLE_LABEL: Record<Role, string> = {
  patient: 'Patient',
  doctor: 'Doctor',
  pharmacist: 'Pharmacist',
  admin: 'Administrator',
}

export const useRole = (): Role | undefined => useAuth().user?.role

export function useIsRole(role: Role): boolean {
  return useRole() === role
}

export type { ReactNode }
