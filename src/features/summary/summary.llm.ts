/**
 * Optional prose for the health summary (SPEC §4.8) from an OpenAI-compatible chat-completions
 * endpoint (OpenAI, Mistral, Ollama, vLLM…): `POST {LLM_BASE_URL}/chat/completions` with
 * `Authorization: Bearer LLM_API_KEY` and model `LLM_MODEL`. Called only when `LLM_*` is
 * configured; nothing leaves the server otherwise.
 *
 * Only the rules' highlights go out, as `{severity, message}`: no name, no account or record
 * ids, no evidence. The messages do carry measurement dates, values and condition names.
 */
import { z } from 'zod'
import type { Highlight } from './summary.rules.js'

export interface LlmSettings {
  /** e.g. `https://api.mistral.ai/v1` or `http://127.0.0.1:11434/v1`; `/chat/completions` is appended. */
  baseUrl: string
  apiKey: string | undefined
  model: string
  /** The whole call (connect, answer, body) is aborted after this many milliseconds. */
  timeoutMs: number
}

/** Longest prose accepted from the model, in characters; anything longer counts as garbage. */
export const MAX_PROSE_CHARS = 6000
const MAX_RESPONSE_BYTES = 1024 * 1024

export const SYSTEM_PROMPT = [
  'You turn the structured findings of a personal health record into a short summary for the patient and their doctor.',
  'Use only the findings given; add no diagnosis, cause, advice or number that is not in them.',
  'Keep every value, unit and date exactly as given. Never use relative times such as "3 days ago".',
  'Mention critical findings first, then warnings, then the rest. Plain text, no markdown, at most 200 words.',
].join(' ')

/** The request body sent to the model: the highlights without their evidence. */
export function chatRequest(model: string, highlights: readonly Highlight[]) {
  return {
    model,
    temperature: 0,
    messages: [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: JSON.stringify({ findings: highlights.map((h) => ({ severity: h.severity, message: h.message })) }) },
    ],
  }
}

const ChatResponse = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string() }) })).min(1),
})

/** `{baseUrl}/chat/completions`, tolerating a trailing slash on the base. */
export const completionsUrl = (baseUrl: string): string => `${baseUrl.replace(/\/+$/, '')}/chat/completions`

/**
 * Asks the model to write the summary's prose from `highlights`. Resolves to the trimmed text,
 * or to `{error}` on any failure — network error, timeout (`timeoutMs`), non-2xx status, a body
 * that is not a chat completion, empty or over MAX_PROSE_CHARS — so the caller falls back to the
 * rules text. Never throws.
 */
export async function writeProse(llm: LlmSettings, highlights: readonly Highlight[]): Promise<{ text: string } | { error: string }> {
  try {
    const res = await fetch(completionsUrl(llm.baseUrl), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        ...(llm.apiKey ? { authorization: `Bearer ${llm.apiKey}` } : {}),
      },
      body: JSON.stringify(chatRequest(llm.model, highlights)),
      signal: AbortSignal.timeout(llm.timeoutMs),
      redirect: 'error',
    })
    const body = await res.text()
    if (!res.ok) return { error: `status ${res.status}` }
    if (body.length > MAX_RESPONSE_BYTES) return { error: 'response too large' }
    let json: unknown
    try {
      json = JSON.parse(body)
    } catch {
      return { error: 'response is not JSON' }
    }
    const parsed = ChatResponse.safeParse(json)
    if (!parsed.success) return { error: 'response is not a chat completion' }
    const text = parsed.data.choices[0]?.message.content.trim() ?? ''
    if (text.length === 0 || text.length > MAX_PROSE_CHARS) return { error: 'empty or oversized completion' }
    return { text }
  } catch (err) {
    const name = (err as Error).name
    return { error: name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'request failed' }
  }
}
