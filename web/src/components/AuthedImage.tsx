/** An image the API serves only with the bearer token (QR codes), shown through a blob: URL. */
import { Skeleton } from '@mantine/core'
import { useBlob, useObjectUrl } from './useObjectUrl'
import { ErrorState } from './states'

/** `url`: an API URL, from `pathTo(...)`; `version` changes when the image does. */
export function AuthedImage({ url, alt, className, version }: { url: string; alt: string; className?: string; version?: unknown }) {
  const blob = useBlob(url, version)
  const src = useObjectUrl(blob.data)
  if (blob.isError) return <ErrorState error={blob.error} title="Could not load the image" />
  if (!src) return <Skeleton w={200} h={200} aria-label="Loading image" />
  return <img src={src} alt={alt} className={className} />
}
