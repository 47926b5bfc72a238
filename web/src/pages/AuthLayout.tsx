/** Centered card for the signed-out pages. */
import { Anchor, Container, Paper, Stack, Text, Title } from '@mantine/core'
import { useEffect, type ReactNode } from 'react'

export function AuthLayout({ title, children, footer }: { title: string; children: ReactNode; footer?: ReactNode }) {
  useEffect(() => {
    document.title = `${title} — CareLocker`
  }, [title])
  return (
    <Container size={460} py="xl" px="sm" component="main" id="main">
      <Stack gap="xs" align="center" mb="md">
        <Text fw={700} size="xl" c="teal.9">
          <Anchor href="/" underline="never" c="teal.9">CareLocker</Anchor>
        </Text>
        <Text size="sm" c="dimmed" ta="center">
          Your health records, prescriptions and emergency card — owned by you.
        </Text>
      </Stack>
      <Paper withBorder shadow="sm" p="lg" radius="md">
        <Title order={1} size="h3" mb="md">
          {title}
        </Title>
        {children}
      </Paper>
      {footer && (
        <Text size="sm" ta="center" mt="md">
          {footer}
        </Text>
      )}
    </Container>
  )
}
