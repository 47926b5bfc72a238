/** Loading, error and empty states, used everywhere data is fetched (issue 6 §7). */
import { Alert, Button, Center, Group, Loader, Stack, Text } from '@mantine/core'
import type { UseInfiniteQueryResult, UseQueryResult } from '@tanstack/react-query'
import type { ReactNode } from 'react'
import { ApiError, errorMessage } from '../api/client'

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <Center py="lg" role="status" aria-live="polite">
      <Group gap="xs">
        <Loader size="sm" aria-hidden />
        <Text size="sm" c="dimmed">
          {label}
        </Text>
      </Group>
    </Center>
  )
}

export function ErrorState({ error, onRetry, title = 'Could not load this' }: { error: unknown; onRetry?: () => void; title?: string }) {
  const notBuilt = error instanceof ApiError && error.status === 404 && error.slug === 'not-found' && /No route/.test(error.message)
  return (
    <Alert color="red" title={title} role="alert" variant="light">
      <Stack gap="xs">
        <Text size="sm">{notBuilt ? 'This part of the service is not available on this server yet.' : errorMessage(error)}</Text>
        {onRetry && !notBuilt && (
          <Group>
            <Button size="xs" variant="white" color="red" onClick={onRetry}>
              Try again
            </Button>
          </Group>
        )}
      </Stack>
    </Alert>
  )
}

export function Empty({ children }: { children: ReactNode }) {
  return (
    <Text c="dimmed" size="sm" py="sm" ta="center">
      {children}
    </Text>
  )
}

/**
 * Renders a query's three states: loading, error (with retry), and data — `empty` when
 * `isEmpty(data)` holds.
 */
export function QueryState<T>({
  query,
  children,
  empty,
  isEmpty,
  loadingLabel,
}: {
  query: UseQueryResult<T>
  children: (data: T) => ReactNode
  empty?: ReactNode
  isEmpty?: (data: T) => boolean
  loadingLabel?: string
}) {
  if (query.isPending) return <Loading label={loadingLabel} />
  if (query.isError) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />
  if (empty !== undefined && isEmpty?.(query.data)) return <Empty>{empty}</Empty>
  return <>{children(query.data)}</>
}

/**
 * A cursor-paged list (`useInfiniteQuery`): loading, error (with retry), `empty` when
 * `items` is empty, else `children(items)`; then "Load more" while the server has more.
 */
export function PagedState<T>({
  query,
  items,
  empty,
  children,
}: {
  query: UseInfiniteQueryResult<unknown>
  items: T[]
  empty: ReactNode
  children: (items: T[]) => ReactNode
}) {
  return (
    <>
      {query.isPending ? (
        <Loading />
      ) : query.isError ? (
        <ErrorState error={query.error} onRetry={() => void query.refetch()} />
      ) : items.length === 0 ? (
        <Empty>{empty}</Empty>
      ) : (
        children(items)
      )}
      <LoadMore query={query} />
    </>
  )
}

/** "Load more" under a cursor-paged list while the server has more pages. */
export function LoadMore({ query }: { query: UseInfiniteQueryResult<unknown> }) {
  if (!query.hasNextPage) return null
  return (
    <Group justify="center">
      <Button variant="default" onClick={() => void query.fetchNextPage()} loading={query.isFetchingNextPage}>
        Load more
      </Button>
    </Group>
  )
}
