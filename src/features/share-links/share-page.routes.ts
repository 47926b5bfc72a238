/**
 * `/s/<token>`: the share link as a person opens it (SPEC §4.5) — a server-rendered page that
 * works without JavaScript. It shows what was shared and a download button; a passcode-
 * protected link shows a form that POSTs the passcode; a right one answers with the same
 * record page (a fresh page, so an earlier "Wrong passcode" never stays on screen), whose
 * Download button POSTs the passcode again with `download=1` and gets the file itself (so
 * the passcode never lands in a URL). Errors are pages too: 404 unknown, 410 gone, 401
 * wrong passcode with the tries left.
 */
import type { FastifyReply } from 'fastify'
import { z } from 'zod'
import { requestMeta } from '../../app/auth-hook.js'
import { formatUtc } from '../../app/dates.js'
import type { FeatureRoutes } from '../../app/deps.js'
import { AppError } from '../../app/errors.js'
import { html, page, type SafeHtml } from '../../app/html.js'
import { sendRecordContent } from '../records/content-reply.js'
import type { RecordView } from '../records/records.schema.js'
import { getSharedRecord, openSharedContent } from './share-links.service.js'

const TokenParams = z.object({ token: z.string().min(16).max(128) }).strict()

const formatSize = (bytes: number) =>
  bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1)} MB` : bytes >= 1024 ? `${Math.round(bytes / 1024)} KB` : `${bytes} bytes`

/** The record's details and a Download button: a link, or for a passcode-protected link a
 *  form that sends the passcode again in the body (`passcode` is the one just checked). */
function recordPage(token: string, record: RecordView, expiresAt: Date, passcode?: string): string {
  return page({
    title: `${record.title ?? record.fileName} — shared with you`,
    body: html`<main>
<h1>${record.title ?? record.fileName}</h1>
<div class="card">
<dl>
<dt>Type</dt><dd>${record.category.replace(/_/g, ' ')}</dd>
<dt>Date</dt><dd>${record.recordDate}</dd>
${record.doctorName ? html`<dt>Doctor</dt><dd>${record.doctorName}</dd>` : html``}
<dt>File</dt><dd>${record.fileName} (${formatSize(record.sizeBytes)})</dd>
</dl>
${record.description ? html`<p>${record.description}</p>` : html``}
</div>
${passcode === undefined
    ? html`<p><a class="button" href="/api/v1/shared/${token}/content" download>Download</a></p>`
    : html`<form method="post" action="/s/${token}" autocomplete="off">
<input type="hidden" name="passcode" value="${passcode}">
<input type="hidden" name="download" value="1">
<p><button class="button" type="submit">Download</button></p>
</form>`}
<p class="muted">Shared through CareLocker. This link expires ${formatUtc(expiresAt)} and may be limited to a number of downloads.</p>
</main>`,
  })
}

function passcodePage(token: string, message?: string): string {
  return page({
    title: 'Protected record — CareLocker',
    body: html`<main>
<h1>This record is protected</h1>
${message ? html`<p class="alert" role="alert">${message}</p>` : html``}
<form class="card" method="post" action="/s/${token}">
<label for="passcode">Passcode from the patient</label>
<input id="passcode" name="passcode" type="password" autocomplete="off" required minlength="4" maxlength="64" autofocus>
<p><button class="button" type="submit">Open</button></p>
</form>
<p class="muted">After five wrong passcodes the link is locked for good.</p>
</main>`,
  })
}

function messagePage(title: string, message: string): string {
  return page({ title: `${title} — CareLocker`, body: html`<main><h1>${title}</h1><p class="card">${message}</p></main>` })
}

function sendPage(reply: FastifyReply, status: number, body: string | SafeHtml): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(String(body))
}

/** Renders a service error as a page, or rethrows what is not a known refusal. */
function sendErrorPage(reply: FastifyReply, token: string, err: unknown): FastifyReply {
  if (!(err instanceof AppError)) throw err
  if (err.code === 'passcode-required') return sendPage(reply, 200, passcodePage(token))
  if (err.code === 'wrong-passcode') return sendPage(reply, 401, passcodePage(token, err.message))
  if (err.status === 410) return sendPage(reply, 410, messagePage('This link no longer works', err.message))
  if (err.status === 404) return sendPage(reply, 404, messagePage('Link not found', 'Check that the whole link was copied.'))
  if (err.status === 429) return sendPage(reply.headers(err.headers ?? {}), 429, messagePage('Too many requests', err.message))
  throw err
}

/** Mounts `GET` and `POST /s/<token>` (outside `/api/v1`); the form parser stays inside this plugin. */
export const sharePageRoutes: FeatureRoutes = async (app, { deps }) => {
  // A passcode form is posted as application/x-www-form-urlencoded.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)))
  })

  app.get('/s/:token', {
    config: { access: 'public' },
    schema: { hide: true, params: TokenParams },
  }, async (req, reply) => {
    try {
      await deps.rateLimits.hit('public', req.ip, reply)
      const { record, expiresAt } = await getSharedRecord(deps, req.params.token, undefined, requestMeta(req))
      return sendPage(reply, 200, recordPage(req.params.token, record, expiresAt))
    } catch (err) {
      return sendErrorPage(reply, req.params.token, err)
    }
  })

  app.post('/s/:token', {
    config: { access: 'public' },
    schema: {
      hide: true,
      params: TokenParams,
      body: z.object({ passcode: z.string().max(64).default(''), download: z.literal('1').optional() }).strict(),
    },
  }, async (req, reply) => {
    try {
      await deps.rateLimits.hit('public', req.ip, reply)
      const passcode = req.body.passcode || undefined
      if (req.body.download === '1') {
        return sendRecordContent(reply, await openSharedContent(deps, req.params.token, passcode, requestMeta(req), {}))
      }
      const { record, expiresAt } = await getSharedRecord(deps, req.params.token, passcode, requestMeta(req))
      return sendPage(reply, 200, recordPage(req.params.token, record, expiresAt, req.body.passcode))
    } catch (err) {
      return sendErrorPage(reply, req.params.token, err)
    }
  })
}
