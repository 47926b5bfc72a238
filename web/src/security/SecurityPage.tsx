/**
 * The Security page, for every role (SPEC §8), at `/<role>/security` from the user menu:
 * one card per way the account is signed in to. Each section is its own module beside this
 * one and owns its API calls.
 */
import { Button, Card, Group, Stack, Text, Title } from '@mantine/core'
import { Link } from 'react-router'
import { Page } from '../components/Page'
import { HOME_OF, useAuth } from '../auth'
import { PasskeysSection } from './PasskeysSection'
import { SessionsSection } from './SessionsSection'
import { TotpSection } from './TotpSection'

function PasswordSection() {
  const { user } = useAuth()
  return (
    <Card withBorder padding="lg" data-testid="security-password">
      <Group justify="space-between" wrap="wrap">
        <Stack gap={2}>
          <Title order={3}>Password</Title>
          <Text size="sm" c="dimmed">
            Changing it signs out every other session.
          </Text>
        </Stack>
        {user && (
          <Button component={Link} to={`${HOME_OF[user.role]}/password`} variant="default">
            Change password
          </Button>
        )}
      </Group>
    </Card>
  )
}

export default function SecurityPage() {
  return (
    <Page title="Security">
      <PasswordSection />
      <PasskeysSection />
      <SessionsSection />
      <TotpSection />
    </Page>
  )
}
