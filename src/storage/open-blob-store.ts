/**
 * The raw blob store of `STORAGE` (SPEC §1, §11), for the server (src/app/compose.ts) and the
 * operations CLIs (src/ops/target.ts): a local directory, or an S3 bucket after its access
 * check (HeadBucket). Throws S3AccessError naming the variable to fix (S3_BUCKET,
 * S3_ACCESS_KEY_ID, S3_ENDPOINT…) when the bucket, credentials or endpoint are wrong.
 */
import type { ResolvedConfig } from '../app/config.js'
import type { BlobStore } from './blob-store.js'
import { createLocalBlobStore } from './local-blob-store.js'
import { createS3BlobStore } from './s3-blob-store.js'

export async function openBlobStore(storage: ResolvedConfig['storage']): Promise<BlobStore & { close(): void }> {
  if (storage.driver === 'local') return { ...createLocalBlobStore(storage.dir), close: () => undefined }
  const s3 = createS3BlobStore(storage)
  try {
    await s3.checkAccess()
  } catch (err) {
    s3.close()
    throw err
  }
  return s3
}
