/**
 * The notification bell of the app header (SPEC §10 "Notifications"), for every role: the
 * unread count as a badge, a menu of the recent notifications worded per type, "Mark all read".
 *
 * Live: an `EventSource` on `GET /notifications/stream?ticket=…` with a fresh single-use ticket
 * from `POST /notifications/stream-ticket` (never the access token in the URL). Each
 * `notification` or `resync` event refreshes the count and the list. On an error (the browser
 * would retry with the same, now used, ticket) the stream is closed and reopened with a new
 * ticket after a growing pause (2 s doubling to 60 s); `end` (the session ended) stops it.
 */
import { ActionIcon, Button, Group, Indicator, Menu, ScrollArea, Text } from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import { api, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'
import type { ResponseOf } from '../api/types'
import { formatDateTime } from './format'

type AppNotification = ResponseOf<'/api/v1/notifications', 'get'>['items'][number]

const str = (v: unknown, fallback: string): string => (typeof v === 'string' && v.length > 0 ? v : fallback)

/** One readable sentence per notification type (SPEC §10 events). */
export function describeNotification(n: AppNotification): string {
  const d = n.data
  switch (n.type) {
    case 'consultation.requested':
      return `${str(d.patientName, 'A patient')} requested a consultation`
    case 'consultation.approved':
      return `${str(d.doctorName, 'Your doctor')} approved your consultation`
    case 'consultation.rejected':
      return `${str(d.doctorName, 'The doctor')} declined your consultation request`
    case 'consultation.ended':
      return d.doctorName ? `Your consultation with ${str(d.doctorName, '')} ended` : `${str(d.patientName, 'A patient')} ended a consultation`
    case 'appointment.booked':
      return 'An appointment was booked'
    case 'appointment.rescheduled':
      return 'An appointment was rescheduled'
    case 'appointment.cancelled':
      return 'An appointment was cancelled'
    case 'appointment.reminder':
      return 'Reminder: you have an appointment soon'
    case 'prescription.issued':
      return `${str(d.doctorName, 'Your doctor')} issued a prescription`
    case 'prescription.dispensed':
      return d.partial === true ? 'Part of a prescription was dispensed' : 'A prescription was dispensed'
    case 'emergency.accessed':
      return 'Someone opened your emergency information'
    case 'share.opened':
      return 'A shared record link was opened'
    case 'shl.opened':
      return `${str(d.recipient, 'Someone')} opened your SMART Health Link`
    case 'caregiver.invited':
      return 'You were invited to help manage a health locker'
    case 'caregiver.accepted':
      return 'Your caregiver invitation was accepted'
    case 'auth.new_sign_in':
      return 'New sign-in to your account from a new browser'
    default:
      return 'New activity'
  }
}

/** Keeps a live stream open while mounted; calls `onChange` when something new may be listed. */
function useNotificationStream(onChange: () => void): void {
  useEffect(() => {
    let source: EventSource | undefined
    let timer: ReturnType<typeof setTimeout> | undefined
    let delayMs = 2_000
    let stopped = false
    const retry = () => {
      source?.close()
      source = undefined
      if (stopped) return
      timer = setTimeout(() => void open(), delayMs)
      delayMs = Math.min(delayMs * 2, 60_000)
    }
    const open = async () => {
      try {
        const { ticket } = await unwrap(api.POST('/api/v1/notifications/stream-ticket'))
        if (stopped) return
        const es = new EventSource(`/api/v1/notifications/stream?ticket=${encodeURIComponent(ticket)}`)
        source = es
        es.onopen = () => {
          delayMs = 2_000
          onChange() // anything raised while we were not connected
        }
        es.addEventListener('notification', onChange)
        es.addEventListener('resync', onChange)
        es.addEventListener('end', () => {
          es.close()
          stopped = true
        })
        es.onerror = retry
      } catch {
        retry()
      }
    }
    void open()
    return () => {
      stopped = true
      clearTimeout(timer)
      source?.close()
    }
  }, [onChange])
}

export function NotificationBell() {
  const queryClient = useQueryClient()
  const [opened, setOpened] = useState(false)
  const count = useQuery({
    queryKey: queryKeys.notificationCount,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/notifications/unread-count', { signal })),
  })
  const list = useQuery({
    queryKey: queryKeys.notificationList,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/notifications', { params: { query: { limit: 15 } }, signal })),
    enabled: opened,
  })
  const [refresh] = useState(() => () => void queryClient.invalidateQueries({ queryKey: queryKeys.notifications }))
  useNotificationStream(refresh)
  const markAll = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/notifications/read', { body: { all: true } })),
    onSuccess: refresh,
  })
  const unread = count.data?.count ?? 0

  return (
    <Menu position="bottom-end" withinPortal opened={opened} onChange={setOpened} width={320}>
      <Menu.Target>
        <Indicator label={unread > 99 ? '99+' : unread} size={16} disabled={unread === 0} offset={4} data-testid="notification-count">
          <ActionIcon variant="subtle" size="lg" aria-label={unread > 0 ? `Notifications, ${unread} unread` : 'Notifications'} data-testid="notification-bell">
            <svg width="20" height="20" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden>
              <path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9" />
              <path d="M13.73 21a2 2 0 0 1-3.46 0" />
            </svg>
          </ActionIcon>
        </Indicator>
      </Menu.Target>
      <Menu.Dropdown maw="calc(100vw - 16px)">
        <Group justify="space-between" px="xs" py={4} wrap="nowrap">
          <Text size="sm" fw={600}>
            Notifications
          </Text>
          <Button variant="subtle" size="compact-xs" onClick={() => markAll.mutate()} disabled={unread === 0} loading={markAll.isPending}>
            Mark all read
          </Button>
        </Group>
        <Menu.Divider />
        <ScrollArea.Autosize mah={360}>
          {list.isLoading && (
            <Text size="sm" c="dimmed" px="xs" py="xs">
              Loading…
            </Text>
          )}
          {list.data && list.data.items.length === 0 && (
            <Text size="sm" c="dimmed" px="xs" py="xs">
              Nothing yet.
            </Text>
          )}
          {list.data?.items.map((n) => (
            <Menu.Item key={n.id} closeMenuOnClick={false} data-testid="notification-item" data-unread={n.readAt === null}>
              <Text size="sm" fw={n.readAt === null ? 600 : 400}>
                {describeNotification(n)}
              </Text>
              <Text size="xs" c="dimmed">
                {formatDateTime(n.createdAt)}
              </Text>
            </Menu.Item>
          ))}
        </ScrollArea.Autosize>
      </Menu.Dropdown>
    </Menu>
  )
}
