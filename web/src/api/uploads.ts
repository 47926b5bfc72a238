/**
 * Uploads that show their progress (SPEC §4.3 records, §4.4 and §9 imports). They use
 * XMLHttpRequest because fetch has no upload progress; their URLs come from the typed
 * API paths, and like every call they refresh once on 401 and fail with `ApiError`.
 */
import { bearer, hasAccessToken, pathTo, refreshSession } from './client'
import { ApiError, problemFromText } from './errors'
import type { ApiPath, ResponseOf } from './types'

interface Upload {
  url: string
  body: XMLHttpRequestBodyInit
  contentType?: string
  onProgress: (fraction: number) => void
  signal?: AbortSignal
  /** The message when the connection breaks. */
  interrupted: string
}

function sendOnce(u: Upload): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', u.url)
    if (u.contentType) xhr.setRequestHeader('content-type', u.contentType)
    xhr.setRequestHeader('accept', 'application/json, application/problem+json')
    const auth = bearer()
    if (auth) xhr.setRequestHeader('authorization', auth)
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) u.onProgress(e.loaded / e.total)
    }
    xhr.onload = () => resolve({ status: xhr.status, body: problemFromText(xhr.responseText) })
    xhr.onerror = () => reject(new Error(u.interrupted))
    xhr.onabort = () => reject(new DOMException('The upload was cancelled.', 'AbortError'))
    u.signal?.addEventListener('abort', () => xhr.abort(), { once: true })
    xhr.send(u.body)
  })
}

/** Sends `u`, refreshing the session once on 401; the parsed answer, or an `ApiError`. */
async function send(u: Upload): Promise<unknown> {
  let res = await sendOnce(u)
  if (res.status === 401 && hasAccessToken() && (await refreshSession())) {
    u.onProgress(0)
    res = await sendOnce(u)
  }
  if (res.status < 200 || res.status >= 300) throw new ApiError(res.status, res.body)
  u.onProgress(1)
  return res.body
}

/** POSTs a multipart `form` (a record upload) to `path` with its `{name}` parameters. */
export function uploadForm<P extends ApiPath>(
  path: P,
  params: Record<string, string>,
  form: FormData,
  onProgress: (fraction: number) => void,
  signal?: AbortSignal,
): Promise<ResponseOf<P, 'post'>> {
  const url = pathTo(path, params)
  return send({ url, body: form, onProgress, signal, interrupted: 'The upload failed: the connection was interrupted.' }) as Promise<ResponseOf<P, 'post'>>
}

/**
 * POSTs a file as-is (an import: FHIR `application/fhir+json`, C-CDA or Apple Health
 * `application/xml`, an Apple Health `application/zip`) to `path`, with `query`. Upload
 * progress runs 0 → 1 while the bytes go; the promise settles when the server has answered.
 */
export function uploadFile<P extends ApiPath>(
  path: P,
  params: Record<string, string>,
  query: Record<string, string>,
  file: File,
  contentType: string,
  onProgress: (fraction: number) => void,
  signal?: AbortSignal,
): Promise<ResponseOf<P, 'post'>> {
  const url = pathTo(path, params, query)
  return send({ url, body: file, contentType, onProgress, signal, interrupted: 'The import failed: the connection was interrupted.' }) as Promise<ResponseOf<P, 'post'>>
}
