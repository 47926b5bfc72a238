/**
 * What the import page sends for a chosen file or a pasted link (SPEC §9): the content type
 * decides the source on the server, so a file's type is chosen from its name (and the
 * browser's guess) — FHIR `.json` → `application/fhir+json`, C-CDA or Apple Health `.xml` →
 * `application/xml`, the Apple Health export's `.zip` → `application/zip`. The server still
 * reads the bytes and answers 415 for anything else.
 */

/** A file the page can send: its content type and what people call it. */
export interface ImportFileKind {
  contentType: 'application/fhir+json' | 'application/xml' | 'application/zip'
  label: string
}

/** The kind of `file` by extension, then by the browser's type; null for anything else. */
export function importKindOf(file: Pick<File, 'name' | 'type'>): ImportFileKind | null {
  const name = file.name.toLowerCase()
  const type = file.type.toLowerCase()
  if (name.endsWith('.json') || type.includes('json')) return { contentType: 'application/fhir+json', label: 'FHIR bundle' }
  if (name.endsWith('.xml') || type.endsWith('/xml')) return { contentType: 'application/xml', label: 'C-CDA document or Apple Health export' }
  if (name.endsWith('.zip') || type.includes('zip')) return { contentType: 'application/zip', label: 'Apple Health export (zip)' }
  return null
}

/** The `accept` list of the file picker. */
export const IMPORT_ACCEPT = '.json,.xml,.zip,application/json,application/fhir+json,application/xml,text/xml,application/zip'

/**
 * A SMART Health Link as pasted: `shlink:/…` itself, or a viewer URL carrying it after `#`
 * (`https://…/shl#shlink:/…`). Returns the `shlink:/…` part, or null when there is none.
 */
export function shlinkFrom(text: string): string | null {
  const at = text.trim().indexOf('shlink:/')
  if (at === -1) return null
  const link = text.trim().slice(at)
  return /^shlink:\/[A-Za-z0-9_-]+$/.test(link) ? link : null
}
