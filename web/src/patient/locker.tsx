/**
 * Which locker the patient's pages show (SPEC §10 "lockers I manage"): the signed-in patient's
 * own (`pid: 'me'`), or that of a patient who made them a caregiver (or a dependent they
 * created), by id. Every patient page asks `useLocker()` for the `{pid}` of its API calls, and
 * for `access` to hide what a `read` caregiver may not do and what a caregiver never reaches
 * (audit log, emergency card, caregivers, account, export, deletion). The choice lives in
 * sessionStorage, so a reload keeps it and a new tab starts on one's own locker.
 */
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react'

/** `owner`: one's own locker; `read` / `manage`: the caregiver level granted. */
export type LockerAccess = 'owner' | 'read' | 'manage'

export interface Locker {
  /** The `{pid}` of API paths: `'me'` or the patient's id. */
  pid: string
  /** The patient's name, for the switcher and page titles; undefined for one's own. */
  name?: string | undefined
  access: LockerAccess
}

interface LockerState extends Locker {
  /** Switches every patient page to `locker` (one's own: `OWN_LOCKER`). */
  switchTo(locker: Locker): void
  /** True on one's own locker. */
  isOwn: boolean
  /** True when the pages may change data: one's own locker, or a `manage` grant. */
  canManage: boolean
}

export const OWN_LOCKER: Locker = Object.freeze({ pid: 'me', access: 'owner' })
const STORAGE_KEY = 'carelocker.locker'

function stored(): Locker {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY)
    const parsed = raw ? (JSON.parse(raw) as Partial<Locker>) : null
    if (parsed && typeof parsed.pid === 'string' && (parsed.access === 'read' || parsed.access === 'manage')) {
      return { pid: parsed.pid, name: typeof parsed.name === 'string' ? parsed.name : undefined, access: parsed.access }
    }
  } catch {
    // Unreadable storage: one's own locker.
  }
  return OWN_LOCKER
}

const LockerContext = createContext<LockerState | null>(null)

/** Provides the chosen locker to the patient's section. */
export function LockerProvider({ children }: { children: ReactNode }) {
  const [locker, setLocker] = useState<Locker>(stored)
  const switchTo = useCallback((next: Locker) => {
    if (next.pid === 'me') sessionStorage.removeItem(STORAGE_KEY)
    else sessionStorage.setItem(STORAGE_KEY, JSON.stringify(next))
    setLocker(next)
  }, [])
  const value = useMemo<LockerState>(
    () => ({ ...locker, switchTo, isOwn: locker.pid === 'me', canManage: locker.access !== 'read' }),
    [locker, switchTo],
  )
  return <LockerContext.Provider value={value}>{children}</LockerContext.Provider>
}

/** The locker the patient's pages show. Outside a `LockerProvider`: one's own, and switching does nothing. */
export function useLocker(): LockerState {
  return useContext(LockerContext) ?? { ...OWN_LOCKER, switchTo: () => undefined, isOwn: true, canManage: true }
}
