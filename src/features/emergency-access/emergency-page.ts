/**
 * The `/e/<token>` page (SPEC §4.6): server-rendered, complete without JavaScript, sized for
 * a phone, clean on paper, with blood group and allergies first — what a first responder
 * needs in the first seconds. A few KB of HTML and CSS, no images.
 */
import { html, page, type SafeHtml } from '../../app/html.js'
import type { EmergencyViewBody } from './emergency-access.schema.js'

const CSS = `
.top{display:grid;grid-template-columns:minmax(6rem,auto) 1fr;gap:.75rem;align-items:stretch;margin-bottom:1rem}
.blood{background:#b00020;color:#fff;border-radius:.5rem;padding:.6rem .8rem;text-align:center}
.blood b{display:block;font-size:2.4rem;line-height:1.1}
.allergies{background:#fff4f4;border:2px solid #b00020;border-radius:.5rem;padding:.6rem .8rem}
.allergies h2{margin:0 0 .35rem;color:#b00020}
.allergies ul{margin:0;padding-left:1.1rem}
.severe{font-weight:700;color:#b00020}
.banner{background:#111;color:#fff;padding:.5rem 1rem;font-weight:700;letter-spacing:.04em}
ul.plain{list-style:none;padding:0;margin:0}
ul.plain li{padding:.35rem 0;border-bottom:1px solid #e3e6ea}
a.tel{font-size:1.1rem;font-weight:700}
@media print{.banner{background:#fff;color:#000;border-bottom:2px solid #000}.blood{background:#fff;color:#000;border:2px solid #000}}
`

const none = (what: string) => html`<p class="muted">No ${what} recorded.</p>`

function list<T>(items: T[], render: (item: T) => SafeHtml, empty: string): SafeHtml {
  return items.length ? html`<ul class="plain">${items.map((i) => html`<li>${render(i)}</li>`)}</ul>` : none(empty)
}

/** The full emergency card; its conditions and medications are already those of the patient's `emergencyCard` (SPEC §4.6). */
export function emergencyPage(v: EmergencyViewBody): string {
  const p = v.patient
  const allergies = [...p.allergies].sort((a, b) => Number(b.severity === 'severe') - Number(a.severity === 'severe'))
  const born = p.dateOfBirth ? html`born ${p.dateOfBirth}${p.age !== null ? html` (${p.age} years)` : html``}` : html`date of birth unknown`
  return page({
    title: `Emergency information — ${p.fullName}`,
    css: CSS,
    body: html`<div class="banner">EMERGENCY MEDICAL INFORMATION</div>
<main>
<h1>${p.fullName}</h1>
<p class="muted">${born} · sex: ${p.sex ?? 'not recorded'}${p.organDonor === true ? html` · organ donor` : p.organDonor === false ? html` · not an organ donor` : html``}</p>
<div class="top">
<div class="blood" id="blood-group">Blood group<b>${p.bloodGroup ?? '?'}</b>${p.bloodGroup ? html`` : html`<span>not recorded</span>`}</div>
<section class="allergies" id="allergies" aria-labelledby="allergies-h">
<h2 id="allergies-h">Allergies</h2>
${allergies.length
  ? html`<ul>${allergies.map((a) => html`<li class="${a.severity === 'severe' ? 'severe' : ''}">${a.substance}${a.severity ? html` — ${a.severity}` : html``}${a.reaction ? html` (${a.reaction})` : html``}</li>`)}</ul>`
  : html`<p>No known allergies recorded.</p>`}
</section>
</div>
<section class="card"><h2>Conditions</h2>${list(p.conditions, (c) => html`${c.name}${c.since ? html` <span class="muted">since ${c.since}</span>` : html``}`, 'active conditions')}</section>
<section class="card"><h2>Medications</h2>${list(p.medications, (m) => html`${m.name}${m.dosage ? html` — ${m.dosage}` : html``}${m.frequency ? html`, ${m.frequency}` : html``}`, 'medications')}</section>
<section class="card"><h2>Emergency contacts</h2>${list(
      p.emergencyContacts,
      (c) => html`${c.name}${c.relationship ? html` (${c.relationship})` : html``}<br><a class="tel" href="tel:${c.phone}">${c.phone}</a>`,
      'emergency contacts',
    )}</section>
<section class="card"><h2>Records of the last 6 months</h2>${list(
      v.records,
      (r) => html`<a href="${r.contentUrl}">${r.title ?? r.fileName}</a> <span class="muted">${r.recordDate} · ${r.category.replace(/_/g, ' ')}</span>`,
      'records in the last 6 months',
    )}</section>
<p class="muted">Shown ${v.generatedAt.replace('T', ' ').slice(0, 16)} UTC through the patient's CareLocker emergency link. This access is logged and the patient and their emergency contacts are notified.</p>
</main>`,
  })
}

/**
 * What a link-preview bot (or a HEAD request) gets: no personal data, no alert, and a plain
 * link (`?show=1`, no JavaScript) that opens the full card for a person (SPEC §4.6).
 */
export function emergencyPreviewPage(token: string): string {
  return page({
    title: 'Emergency medical information — CareLocker',
    body: html`<main><h1>Emergency medical information</h1><p class="card">This link opens a patient's emergency information. Opening it notifies the patient and their emergency contacts.</p>
<p><a class="button" id="show" href="/e/${encodeURIComponent(token)}?show=1">Show emergency information</a></p></main>`,
  })
}

export function emergencyMessagePage(title: string, message: string): string {
  return page({ title: `${title} — CareLocker`, body: html`<main><h1>${title}</h1><p class="card">${message}</p></main>` })
}
