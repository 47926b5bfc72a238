/**
 * The app's tables (shares, accounts, job queues, the access log, dispensations): a
 * horizontally scrolling Mantine table with one header row and a row per item. Columns
 * are data, so a page says what it shows, not how a table is built.
 */
import { Badge, Table, type TableProps } from '@mantine/core'
import type { UseInfiniteQueryResult } from '@tanstack/react-query'
import type { CSSProperties, ReactNode } from 'react'
import { STATUS_COLOR } from './format'
import { PagedState } from './states'

/** One column: its header (a `hiddenHeader` is read by screen readers only), its cell and the cell's style. */
export interface Column<T> {
  header: string
  hiddenHeader?: boolean
  cell: (row: T) => ReactNode
  style?: CSSProperties
}

/** A header for a column of row actions, heard but not seen. */
export const actionsColumn = <T,>(cell: (row: T) => ReactNode): Column<T> => ({ header: 'Actions', hiddenHeader: true, cell })

/** `rows` as a table of `columns`; `rowKey` keys the rows, `rowProps` adds attributes (e.g. a test id). */
export function DataTable<T>({
  rows,
  columns,
  rowKey,
  rowProps,
  ...table
}: {
  rows: readonly T[]
  columns: readonly Column<T>[]
  rowKey: (row: T) => string | number
  rowProps?: (row: T) => { className?: string; 'data-testid'?: string }
} & Omit<TableProps, 'children'>) {
  return (
    <div className="table-scroll">
      <Table {...table}>
        <Table.Thead>
          <Table.Tr>
            {columns.map((c) => (
              <Table.Th key={c.header}>{c.hiddenHeader ? <span className="visually-hidden">{c.header}</span> : c.header}</Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((row) => (
            <Table.Tr key={rowKey(row)} {...rowProps?.(row)}>
              {columns.map((c) => (
                <Table.Td key={c.header} style={c.style}>
                  {c.cell(row)}
                </Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </div>
  )
}

/** A status word (share, account, consultation) in its colour; `label` replaces the word shown. */
export function StatusBadge({ status, label }: { status: string; label?: string }) {
  return (
    <Badge color={STATUS_COLOR[status]} variant="light">
      {label ?? status}
    </Badge>
  )
}

/** A cursor-paged list as a table: `PagedState` (loading, error, `empty`, "Load more") around a `DataTable` of `items`. */
export function PagedTable<T>({
  query,
  items,
  empty,
  ...table
}: { query: UseInfiniteQueryResult<unknown>; items: T[]; empty: ReactNode } & Omit<Parameters<typeof DataTable<T>>[0], 'rows'>) {
  return (
    <PagedState query={query} items={items} empty={empty}>
      {(rows) => <DataTable rows={rows} {...table} />}
    </PagedState>
  )
}
