import { Accordion, Stack } from '@mantine/core'
import { useState } from 'react'
import type { MedicalRecord } from '../api/types'
import { Page } from '../components/Page'
import { RecordsBrowser } from '../shared/RecordsBrowser'
import { UploadPanel } from '../shared/UploadPanel'
import { ShareDialog } from './ShareDialog'
import { useLocker } from './locker'

export default function RecordsPage() {
  const [sharing, setSharing] = useState<MedicalRecord | null>(null)
  const { pid, canManage } = useLocker()
  return (
    <Page title="Records">
      <Stack gap="md">
        {canManage && (
        <Accordion variant="separated" defaultValue="upload">
          <Accordion.Item value="upload">
            <Accordion.Control>Upload a record</Accordion.Control>
            <Accordion.Panel>
              <UploadPanel pid={pid} />
            </Accordion.Panel>
          </Accordion.Item>
        </Accordion>
        )}
        <RecordsBrowser pid={pid} {...(canManage ? { onShare: setSharing, canDelete: true } : {})} />
      </Stack>
      <ShareDialog record={sharing} onClose={() => setSharing(null)} />
    </Page>
  )
}
