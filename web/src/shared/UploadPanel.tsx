/**
 * Upload a record (SPEC §4.3): drag and drop or pick a file, metadata, and a progress bar
 * fed by XMLHttpRequest's upload events. The server decides the type by the bytes (415
 * otherwise) and refuses files over MAX_UPLOAD_MB (413).
 */
import { Alert, Button, FileButton, Group, Progress, Select, SimpleGrid, Stack, Text, TextInput, Textarea } from '@mantine/core'
import { useQueryClient } from '@tanstack/react-query'
import { useRef, useState, type DragEvent, type FormEvent } from 'react'
import { ApiError } from '../api/client'
import { queryKeys } from '../api/query-keys'
import { uploadForm } from '../api/uploads'
import type { MedicalRecord, RecordCategory } from '../api/types'
import { fieldErrorsOf, formErrorOf, type FieldErrors } from '../components/forms'
import { formatSize, todayIso } from '../components/format'
import { CATEGORY_OPTIONS } from './RecordsBrowser'

export function UploadPanel({ pid, onDone }: { pid: string; onDone?: (r: MedicalRecord) => void }) {
  const qc = useQueryClient()
  const [file, setFile] = useState<File | null>(null)
  const [dragging, setDragging] = useState(false)
  const [category, setCategory] = useState<RecordCategory>('lab_report')
  const [recordDate, setRecordDate] = useState(todayIso())
  const [title, setTitle] = useState('')
  const [doctorName, setDoctorName] = useState('')
  const [description, setDescription] = useState('')
  const [progress, setProgress] = useState<number | null>(null)
  const [errors, setErrors] = useState<FieldErrors>({})
  const [formError, setFormError] = useState<string | null>(null)
  const [done, setDone] = useState<MedicalRecord | null>(null)
  const abort = useRef<AbortController | null>(null)

  const onDrop = (e: DragEvent) => {
    e.preventDefault()
    setDragging(false)
    const f = e.dataTransfer.files[0]
    if (f) {
      setFile(f)
      setDone(null)
    }
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (!file) {
      setErrors({ '/file': 'Choose a file first.' })
      return
    }
    const form = new FormData()
    // Fields first: the server reads them before streaming the file.
    form.append('category', category)
    if (recordDate) form.append('recordDate', recordDate)
    if (title.trim()) form.append('title', title.trim())
    if (doctorName.trim()) form.append('doctorName', doctorName.trim())
    if (description.trim()) form.append('description', description.trim())
    form.append('file', file, file.name)
    setErrors({})
    setFormError(null)
    setProgress(0)
    abort.current = new AbortController()
    try {
      const record = await uploadForm('/api/v1/patients/{pid}/records', { pid }, form, setProgress, abort.current.signal)
      setDone(record)
      setFile(null)
      setTitle('')
      setDoctorName('')
      setDescription('')
      await qc.invalidateQueries({ queryKey: queryKeys.records(pid) })
      onDone?.(record)
    } catch (err) {
      const fields = fieldErrorsOf(err)
      setErrors(fields)
      let msg = formErrorOf(err, (p) => p in fields)
      if (err instanceof ApiError && err.status === 415) msg = 'This file type is not accepted. Upload a PDF, JPEG, PNG, WebP, HEIC, DICOM or plain-text file.'
      if (err instanceof ApiError && err.status === 413) msg = 'This file is larger than the server accepts.'
      if (err instanceof DOMException && err.name === 'AbortError') msg = 'Upload cancelled.'
      setFormError(msg)
    } finally {
      setProgress(null)
      abort.current = null
    }
  }

  const uploading = progress !== null
  return (
    <form onSubmit={submit} noValidate aria-label="Upload a record">
      <Stack gap="sm">
        <div
          className="dropzone"
          data-active={dragging}
          onDragOver={(e) => {
            e.preventDefault()
            setDragging(true)
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
          data-testid="dropzone"
        >
          <Stack gap={6} align="center">
            <Text size="sm">{file ? `${file.name} (${formatSize(file.size)})` : 'Drag a file here, or'}</Text>
            <FileButton onChange={(f) => { setFile(f); setDone(null) }} accept="application/pdf,image/jpeg,image/png,image/webp,image/heic,.dcm,application/dicom,text/plain">
              {(props) => (
                <Button {...props} variant="light" size="xs" aria-describedby="file-help">
                  {file ? 'Choose another file' : 'Choose a file'}
                </Button>
              )}
            </FileButton>
            <Text size="xs" c="dimmed" id="file-help">
              PDF, images (JPEG, PNG, WebP, HEIC), DICOM or text.
            </Text>
            {errors['/file'] && (
              <Text size="xs" c="red" role="alert">
                {errors['/file']}
              </Text>
            )}
          </Stack>
        </div>
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs">
          <Select
            label="Category"
            data={CATEGORY_OPTIONS}
            value={category}
            onChange={(v) => v && setCategory(v as RecordCategory)}
            allowDeselect={false}
            error={errors['/category']}
          />
          <TextInput label="Date of the record" type="date" value={recordDate} max={todayIso()} onChange={(e) => setRecordDate(e.currentTarget.value)} error={errors['/recordDate']} />
          <TextInput label="Title" value={title} maxLength={200} onChange={(e) => setTitle(e.currentTarget.value)} error={errors['/title']} />
          <TextInput label="Doctor" value={doctorName} maxLength={200} onChange={(e) => setDoctorName(e.currentTarget.value)} error={errors['/doctorName']} />
        </SimpleGrid>
        <Textarea label="Description" value={description} maxLength={2000} autosize minRows={2} onChange={(e) => setDescription(e.currentTarget.value)} error={errors['/description']} />
        {uploading && (
          <Stack gap={4}>
            <Progress value={Math.round((progress ?? 0) * 100)} aria-label="Upload progress" striped animated />
            <Text size="xs" c="dimmed" role="status">
              Uploading… {Math.round((progress ?? 0) * 100)} %
            </Text>
          </Stack>
        )}
        {formError && (
          <Alert color="red" role="alert" title="Upload failed">
            {formError}
          </Alert>
        )}
        {done && !uploading && (
          <Alert color="teal" role="status" title="Uploaded">
            Saved as {done.fileName}.
          </Alert>
        )}
        <Group justify="flex-end">
          {uploading && (
            <Button variant="default" onClick={() => abort.current?.abort()}>
              Cancel
            </Button>
          )}
          <Button type="submit" loading={uploading} disabled={!file}>
            Upload
          </Button>
        </Group>
      </Stack>
    </form>
  )
}
