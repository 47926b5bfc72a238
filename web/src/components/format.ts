/** Display helpers: dates, sizes, labels. Dates from the API are UTC instants or calendar dates. */

const dateFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' })
const dateTimeFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })

/** A calendar date `YYYY-MM-DD` (no time zone shift) or an instant. */
export function formatDate(value: string | null | undefined): string {
  if (!value) return '—'
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const [y, m, d] = value.split('-').map(Number)
    return dateFmt.format(new Date(y ?? 1970, (m ?? 1) - 1, d ?? 1))
  }
  const d = new Date(value)
  return Number.isNaN(d.getTime()) ? value : dateFmt.format(d)
}

export function formatDateTime(value: string | null | undefined): string {
  if (!value) return '—'
  const d = new Date(value)
  return Number.isNaN(d.getTime()) ? value : dateTimeFmt.format(d)
}

export function formatSize(bytes: number): string {
  if (bytes >= 1048576) return `${(bytes / 1048576).toFixed(1)} MB`
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`
  return `${bytes} bytes`
}

/** `lab_report` → `Lab report`. */
export function humanize(value: string | null | undefined): string {
  if (!value) return '—'
  const s = value.replace(/[_-]+/g, ' ')
  return s.charAt(0).toUpperCase() + s.slice(1)
}

/** Today's date (local) as `YYYY-MM-DD`, for date inputs. */
export function todayIso(): string {
  const d = new Date()
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}

export const STATUS_COLOR: Record<string, string> = {
  active: 'teal',
  approved: 'teal',
  pending: 'yellow',
  partially_dispensed: 'blue',
  dispensed: 'gray',
  ended: 'gray',
  expired: 'gray',
  exhausted: 'gray',
  revoked: 'red',
  rejected: 'red',
  cancelled: 'red',
  locked: 'red',
  dead: 'red',
  disabled: 'red',
  low: 'blue',
  normal: 'teal',
  high: 'orange',
  critical: 'red',
  info: 'blue',
  warning: 'orange',
}
