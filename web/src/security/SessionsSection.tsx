/**
 * Sessions on the Security page (SPEC §8): every place the account is signed in — this
 * device marked — with its browser, IP address and last use, and "End session" for each of
 * the others (`DELETE /auth/sessions/{id}`: its tokens stop at once). Not "Sign out", which
 * is the header's button for this session.
 */
import { Badge, Button, Card, Group, Stack, Text, Title } from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, errorMessage, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'
import type { ResponseOf } from '../api/types'
import { formatDateTime } from '../components/format'
import { QueryState } from '../components/states'

type SessionItem = ResponseOf<'/api/v1/auth/sessions', 'get'>['items'][number]

/** "Firefox on Windows" from a user agent; the raw string when nothing is recognised. */
export function describeBrowser(userAgent: string | null): string {
  if (!userAgent) return 'Unknown browser'
  const browser = /Edg\//.test(userAgent)
    ? 'Edge'
    : /OPR\//.test(userAgent)
      ? 'Opera'
      : /Firefox\//.test(userAgent)
        ? 'Firefox'
        : /Chrome\/|Chromium\//.test(userAgent)
          ? 'Chrome'
          : /Safari\//.test(userAgent)
            ? 'Safari'
            : undefined
  const system = /Android/.test(userAgent)
    ? 'Android'
    : /iPhone|iPad/.test(userAgent)
      ? 'iOS'
      : /Windows/.test(userAgent)
        ? 'Windows'
        : /Mac OS X|Macintosh/.test(userAgent)
          ? 'macOS'
          : /Linux/.test(userAgent)
            ? 'Linux'
            : undefined
  if (!browser) return userAgent.slice(0, 80)
  return system ? `${browser} on ${system}` : browser
}

function SessionRow({ session }: { session: SessionItem }) {
  const client = useQueryClient()
  const revoke = useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/v1/auth/sessions/{id}', { params: { path: { id: session.id } } })),
    onSettled: () => client.invalidateQueries({ queryKey: queryKeys.sessions }),
  })
  return (
    <Group justify="space-between" wrap="wrap" gap="xs" data-testid="session-row" data-current={session.current ? 'true' : 'false'}>
      <Stack gap={0}>
        <Group gap="xs">
          <Text fw={600} title={session.userAgent ?? undefined}>
            {describeBrowser(session.userAgent)}
          </Text>
          {session.current && (
            <Badge variant="light" color="teal">
              This device
            </Badge>
          )}
        </Group>
        <Text size="sm" c="dimmed">
          IP {session.ip ?? 'unknown'} · last used {formatDateTime(session.lastUsedAt)} · signed in {formatDateTime(session.createdAt)}
        </Text>
        {revoke.isError && (
          <Text size="sm" c="red" role="alert">
            {errorMessage(revoke.error)}
          </Text>
        )}
      </Stack>
      {!session.current && (
        <Button variant="default" size="xs" onClick={() => revoke.mutate()} loading={revoke.isPending}>
          End session
        </Button>
      )}
    </Group>
  )
}

export function SessionsSection() {
  const sessions = useQuery({ queryKey: queryKeys.sessions, queryFn: () => unwrap(api.GET('/api/v1/auth/sessions')) })
  return (
    <Card withBorder padding="lg" data-testid="security-sessions">
      <Stack>
        <Stack gap={2}>
          <Title order={3}>Where you are signed in</Title>
          <Text size="sm" c="dimmed">
            A session you do not recognise? End it, then change your password.
          </Text>
        </Stack>
        <QueryState query={sessions}>
          {(data) => (
            <Stack gap="sm">
              {data.items.map((s) => (
                <SessionRow key={s.id} session={s} />
              ))}
            </Stack>
          )}
        </QueryState>
      </Stack>
    </Card>
  )
}
