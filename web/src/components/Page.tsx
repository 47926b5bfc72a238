/** A page's heading and document title, and its titled sections. */
import { Card, Group, Stack, Title } from '@mantine/core'
import { useEffect, type ReactNode } from 'react'

export function Page({ title, actions, children }: { title: string; actions?: ReactNode; children: ReactNode }) {
  useEffect(() => {
    document.title = `${title} — CareLocker`
  }, [title])
  return (
    <Stack gap="md" maw={1100}>
      <Group justify="space-between" align="flex-end" wrap="wrap" gap="xs">
        <Title order={2}>{title}</Title>
        {actions}
      </Group>
      {children}
    </Stack>
  )
}

/** A titled card of a page (a `section` landmark named by its title). */
export function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Card withBorder component="section" aria-label={title}>
      <Title order={3} size="h5" mb="xs">
        {title}
      </Title>
      {children}
    </Card>
  )
}
