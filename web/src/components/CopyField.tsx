/** A read-only field with a Copy button: a link or code shown once (share links, SMART Health Links). */
import { Button, CopyButton, Group, TextInput } from '@mantine/core'

export function CopyField({ label, value, testId, buttonLabel = 'Copy' }: { label: string; value: string; testId: string; buttonLabel?: string }) {
  return (
    <Group gap="xs" wrap="nowrap" align="flex-end">
      <TextInput label={label} readOnly value={value} style={{ flex: 1 }} onFocus={(e) => e.currentTarget.select()} data-testid={testId} />
      <CopyButton value={value}>
        {({ copied, copy }) => (
          <Button onClick={copy} color={copied ? 'teal' : undefined} variant={copied ? 'filled' : 'light'}>
            {copied ? 'Copied' : buttonLabel}
          </Button>
        )}
      </CopyButton>
    </Group>
  )
}
