/**
 * Picks a free slot of a doctor (SPEC §10 `GET /doctors/{id}/slots`): a calendar of the next
 * four weeks (days without a free slot are disabled), then the chosen day's slots as buttons
 * in the browser's local time. Used by the booking flow and by rescheduling.
 */
import { Button, Group, SimpleGrid, Stack, Text, UnstyledButton } from '@mantine/core'
import { useMemo, useState } from 'react'
import { byLocalDay, formatDay, formatTime, localDay, nextDays } from './appointment-time'
import type { Slot } from '../api/types'
import { useSlots } from './appointments-api'
import { QueryState } from '../components/states'

/** Four weeks: within the API's 31-day window. */
const DAYS = 28

export function SlotPicker({ doctorId, value, onChange, exclude }: { doctorId: string; value: Slot | null; onChange: (slot: Slot | null) => void; exclude?: string }) {
  const days = useMemo(() => nextDays(DAYS), [])
  const from = days[0]?.toISOString() ?? ''
  const to = useMemo(() => new Date((days[DAYS - 1] ?? new Date()).getTime() + 86_400_000).toISOString(), [days])
  const slots = useSlots(doctorId, from, to)
  const [day, setDay] = useState<string | null>(null)
  const byDay = useMemo(() => byLocalDay((slots.data?.items ?? []).filter((s) => s.start !== exclude && new Date(s.start) > new Date())), [slots.data, exclude])
  const chosenDay = day && byDay.has(day) ? day : null

  return (
    <QueryState query={slots} loadingLabel="Finding free times…">
      {() =>
        byDay.size === 0 ? (
          <Text size="sm" c="dimmed">
            No free times in the next four weeks.
          </Text>
        ) : (
          <Stack gap="sm">
            <div role="group" aria-label="Day">
              <SimpleGrid cols={7} spacing={4} verticalSpacing={4}>
                {days.map((d) => {
                  const key = localDay(d)
                  const count = byDay.get(key)?.length ?? 0
                  const selected = chosenDay === key
                  return (
                    <UnstyledButton
                      key={key}
                      className="slot-day"
                      data-selected={selected || undefined}
                      disabled={count === 0}
                      aria-pressed={selected}
                      aria-label={`${formatDay(d, true)}: ${count === 0 ? 'no free times' : `${count} free`}`}
                      onClick={() => {
                        setDay(key)
                        onChange(null)
                      }}
                    >
                      <Text size="xs" c="dimmed" lh={1.1}>
                        {new Intl.DateTimeFormat(undefined, { weekday: 'narrow' }).format(d)}
                      </Text>
                      <Text size="sm" fw={selected ? 700 : 500} lh={1.2}>
                        {d.getDate()}
                      </Text>
                    </UnstyledButton>
                  )
                })}
              </SimpleGrid>
            </div>
            {chosenDay ? (
              <div role="group" aria-label="Time">
                <Text size="sm" fw={600} mb={4}>
                  {formatDay(byDay.get(chosenDay)?.[0]?.start ?? chosenDay, true)}
                </Text>
                <Group gap={6}>
                  {(byDay.get(chosenDay) ?? []).map((s) => (
                    <Button key={s.start} size="xs" variant={value?.start === s.start ? 'filled' : 'default'} aria-pressed={value?.start === s.start} onClick={() => onChange(s)}>
                      {formatTime(s.start)}
                    </Button>
                  ))}
                </Group>
              </div>
            ) : (
              <Text size="sm" c="dimmed">
                Pick a day.
              </Text>
            )}
          </Stack>
        )
      }
    </QueryState>
  )
}
