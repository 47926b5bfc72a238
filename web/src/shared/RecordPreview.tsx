/**
 * Preview of one record: images inline, PDFs in a frame when the browser has a PDF viewer,
 * plain text as text; everything downloadable. The bytes are fetched with the bearer token
 * and shown through a blob: URL (the API never sees a token in a URL).
 */
import { Alert, Button, Code, Group, Modal, ScrollArea, Stack, Text } from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import { api, pathTo, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'
import type { MedicalRecord } from '../api/types'
import { formatDate, formatSize, humanize } from '../components/format'
import { ErrorState, Loading } from '../components/states'
import { saveBlob, useBlob, useObjectUrl } from '../components/useObjectUrl'

const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp']

function TextPreview({ blob }: { blob: Blob }) {
  const [text, setText] = useState<string | null>(null)
  useEffect(() => {
    let live = true
    void blob.text().then((t) => live && setText(t.slice(0, 200_000)))
    return () => {
      live = false
    }
  }, [blob])
  if (text === null) return <Loading />
  return (
    <ScrollArea h="60vh">
      <Code block>{text}</Code>
    </ScrollArea>
  )
}

function Verify({ pid, record }: { pid: string; record: MedicalRecord }) {
  const [asked, setAsked] = useState(false)
  const check = useQuery({
    queryKey: queryKeys.recordVerify(pid, record.id),
    queryFn: () => unwrap(api.GET('/api/v1/patients/{pid}/records/{id}/verify', { params: { path: { pid, id: record.id } } })),
    enabled: asked,
  })
  if (!asked)
    return (
      <Button size="xs" variant="subtle" onClick={() => setAsked(true)}>
        Verify integrity
      </Button>
    )
  if (check.isPending) return <Text size="xs">Checking…</Text>
  if (check.isError) return <Text size="xs" c="red">{String(check.error.message)}</Text>
  return (
    <Text size="xs" c={check.data.matches ? 'teal.9' : 'red'} role="status">
      {check.data.matches ? 'Intact: the stored file matches its SHA-256.' : 'Warning: the stored file does not match its fingerprint.'}
    </Text>
  )
}

export function RecordPreview({ pid, record, onClose }: { pid: string; record: MedicalRecord | null; onClose: () => void }) {
  const content = useBlob(record ? pathTo('/api/v1/patients/{pid}/records/{id}/content', { pid, id: record.id }) : null)
  const url = useObjectUrl(content.data)
  const type = record?.contentType ?? ''
  const pdfViewer = typeof navigator !== 'undefined' && navigator.pdfViewerEnabled === true

  return (
    <Modal opened={record !== null} onClose={onClose} title={record ? (record.title ?? record.fileName) : ''} size="xl" fullScreen={false}>
      {record && (
        <Stack gap="sm">
          <Text size="sm" c="dimmed">
            {humanize(record.category)} · {formatDate(record.recordDate)} · {formatSize(record.sizeBytes)} · {record.fileName}
            {record.doctorName ? ` · ${record.doctorName}` : ''}
          </Text>
          {record.description && <Text size="sm">{record.description}</Text>}
          {content.isPending ? (
            <Loading label="Loading the file…" />
          ) : content.isError ? (
            <ErrorState error={content.error} onRetry={() => void content.refetch()} />
          ) : IMAGE_TYPES.includes(type) && url ? (
            <img src={url} alt={record.title ?? record.fileName} className="preview-img" data-testid="record-preview-image" />
          ) : type === 'application/pdf' && url && pdfViewer ? (
            <iframe src={url} title={`Preview of ${record.fileName}`} className="preview-frame" data-testid="record-preview-pdf" />
          ) : (type.startsWith('text/') || type === 'application/xml') && content.data ? (
            <TextPreview blob={content.data} />
          ) : (
            <Alert color="gray" data-testid="record-preview-none">
              {type === 'application/pdf'
                ? 'This browser cannot show PDFs inline. Download the file to open it.'
                : 'No preview for this file type. Download it to open it.'}
            </Alert>
          )}
          <Group justify="space-between">
            <Verify pid={pid} record={record} />
            <Button onClick={() => content.data && saveBlob(content.data, record.fileName)} disabled={!content.data}>
              Download
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  )
}
