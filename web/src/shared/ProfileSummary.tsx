/** A read-only medical profile (SPEC §4.2), for the consenting doctor. */
import { Badge, Group, List, SimpleGrid, Stack, Text } from '@mantine/core'
import type { Profile } from '../api/types'
import { formatDate, formatDateTime, humanize } from '../components/format'
import { Section } from '../components/Page'

const none = (
  <Text size="sm" c="dimmed">
    None recorded.
  </Text>
)

export function ProfileSummary({ profile }: { profile: Profile }) {
  return (
    <Stack gap="md">
      <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }} spacing="md">
        <Section title="Patient">
          <Text fw={600}>{profile.fullName}</Text>
          <Text size="sm">
            {profile.dateOfBirth ? `Born ${formatDate(profile.dateOfBirth)} (${profile.age ?? '?'} years)` : 'Date of birth unknown'} · {humanize(profile.sex)}
          </Text>
          <Text size="sm">Blood group: {profile.bloodGroup ?? 'unknown'}</Text>
          {profile.heightCm !== null && <Text size="sm">Height: {profile.heightCm} cm</Text>}
          <Text size="sm">Organ donor: {profile.organDonor === null ? 'not stated' : profile.organDonor ? 'yes' : 'no'}</Text>
          <Text size="xs" c="dimmed">
            Updated {formatDateTime(profile.updatedAt)}
          </Text>
        </Section>
        <Section title="Allergies">
          {profile.allergies.length === 0
            ? none
            : (
              <List size="sm" spacing={4}>
                {profile.allergies.map((a, i) => (
                  <List.Item key={a.id ?? i}>
                    <Group gap={6}>
                      <Text size="sm" fw={600}>
                        {a.substance}
                      </Text>
                      {a.severity && (
                        <Badge size="xs" color={a.severity === 'severe' ? 'red' : a.severity === 'moderate' ? 'orange' : 'gray'}>
                          {a.severity}
                        </Badge>
                      )}
                    </Group>
                    {a.reaction && (
                      <Text size="xs" c="dimmed">
                        {a.reaction}
                      </Text>
                    )}
                  </List.Item>
                ))}
              </List>
            )}
        </Section>
        <Section title="Emergency contacts">
          {profile.emergencyContacts.length === 0
            ? none
            : profile.emergencyContacts.map((c, i) => (
                <Text size="sm" key={c.id ?? i}>
                  {c.name}
                  {c.relationship ? ` (${c.relationship})` : ''} · {c.phone}
                </Text>
              ))}
        </Section>
      </SimpleGrid>
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
        <Section title="Conditions">
          {profile.conditions.length === 0
            ? none
            : (
              <List size="sm" spacing={2}>
                {profile.conditions.map((c, i) => (
                  <List.Item key={c.id ?? i}>
                    {c.name}
                    {c.status ? ` — ${c.status}` : ''}
                    {c.since ? `, since ${formatDate(c.since)}` : ''}
                  </List.Item>
                ))}
              </List>
            )}
        </Section>
        <Section title="Medications">
          {profile.medications.length === 0
            ? none
            : (
              <List size="sm" spacing={2}>
                {profile.medications.map((m, i) => (
                  <List.Item key={m.id ?? i}>
                    {m.name}
                    {m.dosage ? ` ${m.dosage}` : ''}
                    {m.frequency ? `, ${m.frequency}` : ''}
                  </List.Item>
                ))}
              </List>
            )}
        </Section>
      </SimpleGrid>
      {profile.notes && (
        <Section title="Patient's notes">
          <Text size="sm">{profile.notes}</Text>
        </Section>
      )}
    </Stack>
  )
}
