import { Accordion, Stack } from '@mantine/core'
import { useState } from 'react'
import type { MedicalRecord } from '../api/types'
import { Page } from '../components/Page'
import { RecordsBrowser } from '../shared/RecordsBrowser'
import { UploadPanel } from '../shared/UploadPanel'
import { ShareDialog } from './ShareDialog'

export default function RecordsPage() {
  const [sharing, setSharing] = useState<MedicalRecord | null>(null)
  return (
    <Page title="Records">
      <Stack gap="md">
        <Accordion variant="separated" defaultValue="upload">
          <Accordion.Item value="upload">
            <Accordion.Control>Upload a record</Accordion.Control>
            <Accordion.Panel>
              <UploadPanel pid="me" />
            </Accordion.Panel>
          </Accordion.Item>
        </Accordion>
        <RecordsBrowser pid="me" onShare={setSharing} canDelete />
      </Stack>
      <ShareDialog record={sharing} onClose={() => setSharing(null)} />
    </Page>
  )
}
