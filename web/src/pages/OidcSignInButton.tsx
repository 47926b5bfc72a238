import { Button } from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import { publicApi, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'

/**
 * "Sign in with <provider>" on the sign-in form (SPEC §8), shown only when the server has an
 * OpenID Connect provider configured (`GET /auth/oidc`). A plain link: the sign-in is a full
 * navigation to the provider and back, and the server's callback lands on `/` with the
 * refresh cookie, from which the app resumes the session.
 */
export function OidcSignInButton() {
  const status = useQuery({
    queryKey: queryKeys.oidc,
    queryFn: () => unwrap(publicApi.GET('/api/v1/auth/oidc')),
    staleTime: 5 * 60_000,
  })
  if (!status.data?.enabled) return null
  return (
    <Button component="a" href="/api/v1/auth/oidc/start" variant="default" fullWidth data-testid="oidc-sign-in">
      Sign in with {status.data.name}
    </Button>
  )
}
