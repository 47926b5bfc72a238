/**
 * Lab results of one patient (SPEC §4.8b), for the patient (`me`) and a consenting doctor: a
 * paged table (newest first) with value, unit, reference range and interpretation — an
 * out-of-range result carries a symbol and a word, not only a colour — and, for the test
 * chosen by its name, the trend chart with the reference range shaded.
 */
import { Anchor, Badge, Card, Group, Stack, Text, Title } from '@mantine/core'
import { useInfiniteQuery, useQuery } from '@tanstack/react-query'
import { lazy, Suspense, useState } from 'react'
import { api, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'
import type { LabResult } from '../api/types'
import { PagedTable, type Column } from '../components/DataTable'
import { formatDateTime } from '../components/format'
import { Empty, Loading, QueryState } from '../components/states'
import { INTERPRETATION, formatLabValue, formatRange } from './labs'

const LabChart = lazy(() => import('./LabChart'))

function InterpretationMark({ lab }: { lab: Pick<LabResult, 'interpretation'> }) {
  if (!lab.interpretation) return <Text size="sm" c="dimmed">—</Text>
  const i = INTERPRETATION[lab.interpretation]
  return (
    <Badge color={i.color} variant={i.outOfRange ? 'filled' : 'light'} data-out-of-range={i.outOfRange || undefined}>
      {i.mark ? `${i.mark} ${i.word}` : i.word}
    </Badge>
  )
}

function TrendCard({ pid, code }: { pid: string; code: string }) {
  const trend = useQuery({
    queryKey: queryKeys.labTrend(pid, code),
    queryFn: () => unwrap(api.GET('/api/v1/patients/{pid}/labs/trends', { params: { path: { pid }, query: { code } } })),
  })
  return (
    <Card withBorder component="section" aria-label="Trend">
      <QueryState query={trend} loadingLabel="Loading the trend…">
        {(t) => (
          <Stack gap="xs">
            <Group justify="space-between">
              <Title order={3} size="h5">
                Trend: {t.display ?? code}
              </Title>
              <Text size="xs" c="dimmed">
                LOINC {code}
                {t.referenceRange ? ` · shaded: reference range ${formatRange(t.referenceRange)}${t.unit ? ` ${t.unit}` : ''}` : ''}
              </Text>
            </Group>
            {t.points.length === 0 ? (
              <Empty>No numeric results of this test to chart.</Empty>
            ) : (
              <Suspense fallback={<Loading label="Loading chart…" />}>
                <LabChart trend={t} />
              </Suspense>
            )}
          </Stack>
        )}
      </QueryState>
    </Card>
  )
}

export function LabsView({ pid }: { pid: string }) {
  const [trendCode, setTrendCode] = useState<string | null>(null)
  const list = useInfiniteQuery({
    queryKey: queryKeys.labList(pid, {}),
    queryFn: ({ pageParam, signal }) =>
      unwrap(api.GET('/api/v1/patients/{pid}/labs', { params: { path: { pid }, query: { limit: 50, cursor: pageParam ?? undefined } }, signal })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  })
  const items = list.data?.pages.flatMap((p) => p.items) ?? []

  const columns: Column<LabResult>[] = [
    {
      header: 'Test',
      cell: (r) =>
        r.value !== undefined ? (
          <Anchor component="button" type="button" size="sm" ta="left" onClick={() => setTrendCode(r.loinc)} aria-label={`Show the trend of ${r.display}`}>
            {r.display}
          </Anchor>
        ) : (
          r.display
        ),
    },
    {
      header: 'Result',
      cell: (r) => <Text size="sm" fw={r.interpretation && INTERPRETATION[r.interpretation].outOfRange ? 700 : undefined}>{formatLabValue(r)}</Text>,
      style: { whiteSpace: 'nowrap' },
    },
    { header: 'Interpretation', cell: (r) => <InterpretationMark lab={r} /> },
    { header: 'Reference range', cell: (r) => formatRange(r.referenceRange) || '—', style: { whiteSpace: 'nowrap' } },
    // Date last: on a phone the test, its value and its mark are what fit without scrolling the table.
    { header: 'Date', cell: (r) => formatDateTime(r.effectiveAt), style: { whiteSpace: 'nowrap' } },
  ]

  return (
    <Stack gap="md">
      {trendCode && <TrendCard pid={pid} code={trendCode} />}
      {!trendCode && items.length > 0 && (
        <Text size="sm" c="dimmed">
          Choose a test's name to see its trend.
        </Text>
      )}
      <PagedTable
        query={list}
        items={items}
        empty="No lab results yet. Importing a FHIR bundle or a C-CDA document brings them in."
        columns={columns}
        rowKey={(r) => r.id}
        rowProps={() => ({ 'data-testid': 'lab-row' })}
        aria-label="Lab results"
        fz="sm"
      />
    </Stack>
  )
}
