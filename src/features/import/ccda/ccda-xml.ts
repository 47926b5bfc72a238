/**
 * Reads an HL7 C-CDA document's XML into a small element tree (SPEC §9): well-formedness first
 * (fast-xml-parser's `XMLValidator`: the first problem with its line and column → 400), no
 * DTD internal subset (so no entity can be declared: no external entity is ever resolved and
 * no entity-expansion bomb can grow — fast-xml-parser never fetches anything, and its entity
 * limits stay as a second fence), then namespaces resolved: an element keeps its local name
 * and its namespace URI whatever prefix the document chose, and the root must be
 * `ClinicalDocument` in `urn:hl7-org:v3`. Pure.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { ValidationError } from '../../../app/errors.js'

/** The HL7 V3 namespace every C-CDA element lives in. */
export const HL7_V3 = 'urn:hl7-org:v3'
const XSI = 'http://www.w3.org/2001/XMLSchema-instance'

/** An element: local name, namespace URI, attributes (unprefixed by local name; `xsi:type` as such), children in order, direct text. */
export interface XNode {
  name: string
  ns: string | undefined
  attrs: Readonly<Record<string, string>>
  children: XNode[]
  text: string
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  // XML's five entities and numeric references (`&#233;`), no HTML names: fast-xml-parser 5 takes
  // an object of named entities here (typed boolean), and an object turns numeric references on.
  htmlEntities: {} as unknown as boolean,
  processEntities: { enabled: true, maxEntityCount: 0, maxTotalExpansions: 100_000, maxExpandedLength: 1_000_000 },
  maxNestedTags: 200,
})

type Ordered = Record<string, unknown>

/**
 * Parses `xml` into the root {@link XNode}. ValidationError (400): not well-formed (the
 * validator's message with `line:column`), a DTD internal subset, or a root that is not
 * `ClinicalDocument` in the HL7 V3 namespace.
 */
export function readCcdaXml(xml: string): XNode {
  const checked = XMLValidator.validate(xml, { allowBooleanAttributes: false })
  if (checked !== true) {
    const { msg, line, col } = checked.err
    throw new ValidationError(`The XML is not well-formed: ${msg} (line ${line}, column ${col}).`, [{ path: '', message: `line ${line}, column ${col}: ${msg}` }])
  }
  // Only the prolog (before the first element) can hold a DOCTYPE; the same text in a comment or CDATA of the body is content.
  if (prologHasInternalSubset(xml)) {
    throw new ValidationError('The XML declares a DTD internal subset (entities); a C-CDA document has none, and such documents are refused.', [
      { path: '', message: 'DTD internal subsets are not accepted.' },
    ])
  }
  let parsed: unknown
  try {
    parsed = parser.parse(xml)
  } catch (err) {
    throw new ValidationError(`The XML could not be read: ${err instanceof Error ? err.message : 'parse error'}.`, [{ path: '', message: 'Unreadable XML.' }])
  }
  const root = (parsed as Ordered[]).map((n) => toNode(n, new Map())).find((n): n is XNode => n !== undefined)
  if (!root || root.name !== 'ClinicalDocument' || root.ns !== HL7_V3) {
    throw new ValidationError(`Not an HL7 C-CDA document: the root element must be ClinicalDocument in the ${HL7_V3} namespace.`, [
      { path: '', message: 'Expected ClinicalDocument (urn:hl7-org:v3).' },
    ])
  }
  return root
}

/**
 * True when a DOCTYPE of the prolog has an internal subset (`[` outside its quoted literals,
 * XML 1.0 §2.8 doctypedecl). The prolog is walked as XML defines it — declaration, comments,
 * processing instructions, whitespace, DOCTYPE — so a comment holding `<x` cannot end it early
 * (security review L2).
 */
function prologHasInternalSubset(xml: string): boolean {
  let i = xml.charCodeAt(0) === 0xfeff ? 1 : 0
  for (;;) {
    while (i < xml.length && /\s/.test(xml[i]!)) i++
    if (xml.startsWith('<?', i)) {
      const end = xml.indexOf('?>', i + 2)
      if (end === -1) return false
      i = end + 2
    } else if (xml.startsWith('<!--', i)) {
      const end = xml.indexOf('-->', i + 4)
      if (end === -1) return false
      i = end + 3
    } else if (xml.slice(i, i + 9).toUpperCase() === '<!DOCTYPE') {
      let quote = ''
      for (i += 9; i < xml.length; i++) {
        const c = xml[i]!
        if (quote) {
          if (c === quote) quote = ''
        } else if (c === '"' || c === "'") quote = c
        else if (c === '[') return true
        else if (c === '>') break
      }
      i++
    } else return false
  }
}

const localOf = (qname: string) => {
  const i = qname.indexOf(':')
  return i === -1 ? { prefix: '', local: qname } : { prefix: qname.slice(0, i), local: qname.slice(i + 1) }
}

/** One preserveOrder entry → an element (text, comments and processing instructions give undefined). */
function toNode(entry: Ordered, outer: ReadonlyMap<string, string>): XNode | undefined {
  const tag = Object.keys(entry).find((k) => k !== ':@')
  if (!tag || tag === '#text' || tag.startsWith('?') || tag === '#comment') return undefined
  const rawAttrs = (entry[':@'] ?? {}) as Record<string, string>
  // Namespace declarations of this element, over those in scope.
  let scope = outer
  for (const [k, v] of Object.entries(rawAttrs)) {
    if (k === 'xmlns' || k.startsWith('xmlns:')) {
      if (scope === outer) scope = new Map(outer)
      ;(scope as Map<string, string>).set(k === 'xmlns' ? '' : k.slice(6), v)
    }
  }
  const attrs: Record<string, string> = {}
  for (const [k, v] of Object.entries(rawAttrs)) {
    if (k === 'xmlns' || k.startsWith('xmlns:')) continue
    const { prefix, local } = localOf(k)
    if (prefix === '') attrs[local] = v
    else if (scope.get(prefix) === XSI) attrs[`xsi:${local}`] = v
  }
  const { prefix, local } = localOf(tag)
  const children: XNode[] = []
  let text = ''
  for (const c of (entry[tag] ?? []) as Ordered[]) {
    if ('#text' in c) text += String(c['#text'])
    else {
      const child = toNode(c, scope)
      if (child) children.push(child)
    }
  }
  return { name: local, ns: scope.get(prefix), attrs, children, text }
}

// ---------------------------------------------------------------------------------------
// Readers (HL7 V3 elements only: an extension element such as sdtc:* is never matched)

/** The HL7 V3 children of `n` named `name`. */
export const kids = (n: XNode | undefined, name: string): XNode[] => (n ? n.children.filter((c) => c.name === name && c.ns === HL7_V3) : [])
/** The first HL7 V3 child named `name`. */
export const kid = (n: XNode | undefined, name: string): XNode | undefined => n?.children.find((c) => c.name === name && c.ns === HL7_V3)
/** Follows a path of child names, first match at each step. */
export const path = (n: XNode | undefined, ...names: string[]): XNode | undefined => names.reduce<XNode | undefined>((at, name) => kid(at, name), n)
/** An attribute, trimmed, or undefined when absent or blank. */
export const attr = (n: XNode | undefined, name: string): string | undefined => {
  const v = n?.attrs[name]?.trim()
  return v ? v : undefined
}
/** All text inside `n`, whitespace collapsed, or undefined when blank. */
export function textOf(n: XNode | undefined): string | undefined {
  if (!n) return undefined
  const all = (x: XNode): string => x.text + x.children.map(all).join(' ')
  const t = all(n).replace(/\s+/g, ' ').trim()
  return t ? t : undefined
}
/** The `templateId/@root` OIDs of `n` (any extension). */
export const templateIds = (n: XNode): string[] => kids(n, 'templateId').flatMap((t) => attr(t, 'root') ?? [])
/** True when `n` carries the template `oid`. */
export const hasTemplate = (n: XNode, oid: string): boolean => templateIds(n).includes(oid)
