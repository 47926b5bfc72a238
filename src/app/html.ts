/**
 * Minimal server-rendered HTML for the public pages (share link, emergency card) that must
 * work without JavaScript. Every interpolated value goes through `escapeHtml`; pages carry
 * their own small inline-free stylesheet so the CSP (`default-src 'self'`, inline styles
 * allowed for `style` attributes only) holds.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c)
}

/** A tagged template that escapes every interpolation unless it is already `SafeHtml`. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? ''
  values.forEach((v, i) => {
    const rendered = Array.isArray(v)
      ? v.map((x) => (x instanceof SafeHtml ? x.value : escapeHtml(x))).join('')
      : v instanceof SafeHtml
        ? v.value
        : escapeHtml(v)
    out += rendered + (strings[i + 1] ?? '')
  })
  return new SafeHtml(out)
}

/** A complete, phone-sized, printable page. `css` is page-specific CSS appended to the base. */
export function page(opts: { title: string; body: SafeHtml; css?: string; lang?: string }): string {
  return `<!doctype html>
<html lang="${escapeHtml(opts.lang ?? 'en')}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(opts.title)}</title>
<style>${BASE_CSS}${opts.css ?? ''}</style>
</head>
<body>
${opts.body.value}
</body>
</html>`
}

const BASE_CSS = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111;background:#f6f7f9}
main{max-width:40rem;margin:0 auto;padding:1rem}
h1{font-size:1.35rem;margin:.5rem 0 1rem}
h2{font-size:1.05rem;margin:1.25rem 0 .5rem}
.card{background:#fff;border:1px solid #d5d9e0;border-radius:.5rem;padding:1rem;margin:0 0 1rem}
.muted{color:#555;font-size:.9rem}
.alert{background:#fff4f4;border:2px solid #b00020;border-radius:.5rem;padding:.75rem 1rem;margin:0 0 1rem}
.button{display:inline-block;background:#0b5cad;color:#fff;text-decoration:none;border:0;border-radius:.4rem;padding:.65rem 1.1rem;font-size:1rem;cursor:pointer}
label{display:block;font-weight:600;margin:.5rem 0 .25rem}
input[type=password]{width:100%;max-width:20rem;padding:.55rem;font-size:1rem;border:1px solid #888;border-radius:.35rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0}
dt{font-weight:600}
dd{margin:0}
@media print{body{background:#fff}.button,form{display:none}.card{border:1px solid #000}}
`
