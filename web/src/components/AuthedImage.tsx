/** An image the API serves only with the bearer token (QR codes), shown through a blob: URL. */
import { Skeleton } from '@mantine/core'
import { useBlob, useObjectUrl } from './useObjectUrl'
import { ErrorState } from './states'

export function AuthedImage({ path, alt, className, version }: { path: string; alt: string; className?: string; version?: unknown }) {
  const blob = useBlob(path, [version])
  const url = useObjectUrl(blob.data)
  if (blob.isError) return <ErrorState error={blob.error} title="Could not load the image" />
  if (!url) return <Skeleton w={200} h={200} aria-label="Loading image" />
  return <img src={url} alt={alt} className={className} />
}
