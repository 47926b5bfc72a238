/** Fetches an authenticated binary (QR images, record previews) into a blob: URL. */
import { useQuery } from '@tanstack/react-query'
import { useEffect, useMemo } from 'react'
import { getBlob } from '../api/client'

export function useBlob(path: string | null, key: unknown[] = []) {
  return useQuery({
    queryKey: ['blob', path, ...key],
    queryFn: ({ signal }) => getBlob(path ?? '', signal),
    enabled: path !== null,
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
