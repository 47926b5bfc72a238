/** Fetches an authenticated binary (QR images, record previews) into a blob: URL. */
import { useQuery } from '@tanstack/react-query'
import { useEffect, useMemo } from 'react'
import { getBlob } from '../api/client'
import { queryKeys } from '../api/query-keys'

/** The binary at `url` (an API URL: `pathTo(...)` or one the API gave), refetched when `version` changes. */
export function useBlob(url: string | null, version?: unknown) {
  return useQuery({
    queryKey: queryKeys.blob(url, version),
    queryFn: ({ signal }) => getBlob(url ?? '', signal),
    enabled: url !== null,
    staleTime: 60_000,
    gcTime: 60_000,
  })
}

/** A blob: URL for `blob`, revoked when the blob changes or the component unmounts. */
export function useObjectUrl(blob: Blob | undefined): string | undefined {
  const url = useMemo(() => (blob ? URL.createObjectURL(blob) : undefined), [blob])
  useEffect(() => () => {
    if (url) URL.revokeObjectURL(url)
  }, [url])
  return url
}

/** Saves a blob as a file through a temporary link. */
export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = fileName
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
