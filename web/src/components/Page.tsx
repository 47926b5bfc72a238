/** A page's heading and document title. */
import { Group, Stack, Title } from '@mantine/core'
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
