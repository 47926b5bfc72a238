/**
 * Warns an administrator when PUBLIC_URL points at this machine (SPEC §6): share links,
 * emergency QR codes and email links are built on it, and would not open on a phone or
 * another computer. Shown above every admin page; silent when the setting cannot be read.
 */
import { Alert, Code, Text } from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import { api, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'

export function LocalhostBanner() {
  // The setting changes only with a restart: read it once per visit.
  const settings = useQuery({ queryKey: queryKeys.adminSettings, queryFn: () => unwrap(api.GET('/api/v1/admin/settings')), staleTime: Infinity })
  if (!settings.data?.publicUrlIsLocal) return null
  return (
    <Alert color="orange" variant="light" title="This server's address is localhost" mb="md" maw={1100} data-testid="localhost-banner" role="alert">
      <Text size="sm">
        Links and QR codes point at localhost and will not open on another device. Set PUBLIC_URL to this server's address.
      </Text>
      <Text size="sm" mt={4} style={{ overflowWrap: 'anywhere' }}>
        Now: <Code>{settings.data.publicUrl}</Code>. For example <Code>PUBLIC_URL=http://192.168.1.20:3000</Code> (this computer's address on the local
        network) or the https address it is published under, then restart the server.
      </Text>
    </Alert>
  )
}
