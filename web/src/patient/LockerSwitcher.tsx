/**
 * "Lockers I manage" (SPEC §10): one's own locker and those one is a caregiver of
 * (`GET /me/patients`), as a select above every patient page. Switching changes the `{pid}`
 * every page uses (`useLocker().switchTo`). Hidden when the patient manages no other locker.
 * When the locker shown is no longer reachable (revoked or expired grant), it falls back to one's own.
 */
import { Badge, Group, Select } from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import { useEffect } from 'react'
import { api, unwrap } from '../api/client'
import { OWN_LOCKER, useLocker } from './locker'

export const MANAGED_PATIENTS_KEY = ['me', 'patients'] as const

export function LockerSwitcher() {
  const locker = useLocker()
  const lockers = useQuery({ queryKey: MANAGED_PATIENTS_KEY, queryFn: () => unwrap(api.GET('/api/v1/me/patients')) })
  const items = lockers.data?.items ?? []
  const { pid, switchTo } = locker
  useEffect(() => {
    if (lockers.isSuccess && pid !== 'me' && !items.some((p) => p.patientId === pid)) switchTo(OWN_LOCKER)
  }, [lockers.isSuccess, items, pid, switchTo])
  if (items.length === 0) return null
  const data = [
    { value: 'me', label: 'My own locker' },
    ...items.map((p) => ({ value: p.patientId, label: `${p.name}${p.isDependent ? ' (dependent)' : ''} — ${p.access === 'manage' ? 'manage' : 'read only'}` })),
  ]
  return (
    <Group gap="xs" mb="md" wrap="wrap" data-testid="locker-switcher">
      <Select
        label="Locker shown"
        data={data}
        value={pid}
        allowDeselect={false}
        onChange={(value) => {
          const p = items.find((x) => x.patientId === value)
          switchTo(p ? { pid: p.patientId, name: p.name, access: p.access } : OWN_LOCKER)
        }}
        style={{ flex: '1 1 240px', maxWidth: 420 }}
        comboboxProps={{ withinPortal: true }}
      />
      {!locker.isOwn && (
        <Badge variant="light" color={locker.canManage ? 'teal' : 'gray'} mt={24}>
          {locker.canManage ? 'You manage this locker' : 'Read only'}
        </Badge>
      )}
    </Group>
  )
}
