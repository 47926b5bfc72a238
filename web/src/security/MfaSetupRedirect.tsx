/**
 * Sends a user whose role must use two-factor sign-in (SPEC §8 `MFA_REQUIRED_ROLES`) to the
 * Security page when any API call answers 403 `mfa-setup-required`; the page's TOTP section
 * then explains why (`state.mfaSetupRequired`). Renders nothing.
 */
import { useEffect } from 'react'
import { useNavigate } from 'react-router'
import { onMfaSetupRequired } from '../api/client'
import { HOME_OF, useAuth } from '../auth'

export function MfaSetupRedirect() {
  const { user } = useAuth()
  const navigate = useNavigate()
  useEffect(() => {
    if (!user) return
    const target = `${HOME_OF[user.role]}/security`
    return onMfaSetupRequired(() => {
      if (window.location.pathname !== target) navigate(target, { state: { mfaSetupRequired: true } })
    })
  }, [user, navigate])
  return null
}
