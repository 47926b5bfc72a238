/**
 * Where a file for the import is chosen (SPEC §9): a file picker button and a drop area that
 * takes a dragged file. The picker is the keyboard's way in; the area only adds dropping.
 */
import { Button, FileButton, Group, Paper, Text } from '@mantine/core'
import { useState, type DragEvent } from 'react'
import { formatSize } from '../components/format'
import { IMPORT_ACCEPT, importKindOf } from './import-sources'

export function ImportDropZone({ file, onFile, disabled }: { file: File | null; onFile: (f: File | null) => void; disabled?: boolean }) {
  const [over, setOver] = useState(false)
  const drop = (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault()
    setOver(false)
    if (disabled) return
    const dropped = e.dataTransfer.files[0]
    if (dropped) onFile(dropped)
  }
  const kind = file ? importKindOf(file) : null
  return (
    <Paper
      withBorder
      p="md"
      role="group"
      aria-label="Import file"
      onDragOver={(e: DragEvent<HTMLDivElement>) => {
        e.preventDefault()
        setOver(true)
      }}
      onDragLeave={() => setOver(false)}
      onDrop={drop}
      style={{ borderStyle: 'dashed', background: over ? 'var(--mantine-color-blue-light)' : undefined }}
    >
      <Group gap="sm">
        <FileButton onChange={onFile} accept={IMPORT_ACCEPT} disabled={disabled}>
          {(props) => (
            <Button {...props} variant="light" disabled={disabled}>
              Choose a file
            </Button>
          )}
        </FileButton>
        <Text size="sm" c="dimmed">
          or drop it here: a FHIR bundle (.json), a C-CDA document (.xml), or an Apple Health export (export.xml or the .zip).
        </Text>
      </Group>
      {file && (
        <Text size="sm" mt="xs" style={{ overflowWrap: 'anywhere' }}>
          {file.name} ({formatSize(file.size)}) — {kind ? kind.label : 'not a type CareLocker imports: choose a .json, .xml or .zip file'}
        </Text>
      )}
    </Paper>
  )
}
