/** What the storage tests (src/storage/storage*.test.ts) share: plaintext sizes, and reading streams and directories. */
import { readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import type { Readable } from 'node:stream'

/** Plaintext sizes around the 64 KiB segment boundaries: empty, one byte, one segment ± 1, several segments. */
export const SIZES = [0, 1, 65535, 65536, 65537, 3 * 65536 + 5]

/** Every byte a stream emits, concatenated. */
export async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** Everything a stream emitted before it failed, and the failure. */
export async function collectUntilError(stream: Readable): Promise<{ emitted: Buffer; error: unknown }> {
  const chunks: Buffer[] = []
  try {
    for await (const chunk of stream) chunks.push(chunk as Buffer)
  } catch (error) {
    return { emitted: Buffer.concat(chunks), error }
  }
  return { emitted: Buffer.concat(chunks), error: undefined }
}

/** Every file below `dir` (recursively; none when it does not exist). */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name))
}

/** The sum of the sizes of the files below `dir`. */
export async function totalFileSize(dir: string): Promise<number> {
  const sizes = await Promise.all((await listFiles(dir)).map(async (file) => (await stat(file)).size))
  return sizes.reduce((a, b) => a + b, 0)
}

/** The size of the largest file below `dir` (0 when none). */
export async function largestFileSize(dir: string): Promise<number> {
  const sizes = await Promise.all((await listFiles(dir)).map(async (file) => (await stat(file)).size))
  return Math.max(0, ...sizes)
}
