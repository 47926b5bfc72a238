/**
 * References between the resources of one FHIR bundle, and the people they name (SPEC §4.4):
 * `urn:uuid:…` (fullUrl), `Type/id`, absolute URLs, and conditional
 * `Type?identifier=system|value` (modern Synthea). Unresolvable ones resolve to undefined.
 */
import { arr, obj, objs, str, type Json } from './fhir-json.js'

/** The bundle's resources by every name a reference may use; `resolve` finds the one a Reference points to. */
export class ReferenceIndex {
  private readonly byKey = new Map<string, Json>()
  private readonly all: Json[] = []

  add(fullUrl: string | undefined, resource: Json): void {
    this.all.push(resource)
    const type = str(resource.resourceType)
    const id = str(resource.id)
    if (fullUrl) {
      this.byKey.set(fullUrl, resource)
      const tail = /([A-Za-z]+\/[^/]+)$/.exec(fullUrl) // http://server/fhir/Patient/123 → Patient/123
      if (tail?.[1] && !fullUrl.startsWith('urn:')) this.byKey.set(tail[1], resource)
    }
    if (type && id) this.byKey.set(`${type}/${id}`, resource)
  }

  resolve(ref: unknown): Json | undefined {
    const reference = str(obj(ref)?.reference)?.replace(/\/_history\/[^/]*$/, '')
    if (!reference) return undefined
    if (reference.startsWith('#')) return undefined // contained: handled by the caller
    const direct = this.byKey.get(reference) ?? this.byKey.get(/([A-Za-z]+\/[^/]+)$/.exec(reference)?.[1] ?? '')
    if (direct) return direct
    const conditional = /^([A-Za-z]+)\?identifier=([^&]*)$/.exec(reference)
    if (!conditional) return undefined
    const [, type, token = ''] = conditional
    const decoded = safeDecode(token)
    const bar = decoded.lastIndexOf('|')
    const system = bar >= 0 ? decoded.slice(0, bar) : undefined
    const value = bar >= 0 ? decoded.slice(bar + 1) : decoded
    return this.all.find(
      (r) =>
        r.resourceType === type &&
        objs(r.identifier).some((i) => i.value === value && (system === undefined || system === '' || i.system === system)),
    )
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/** One HumanName as written: given names + family, else `text` (prefixes and suffixes left out). */
export function nameText(name: Json): string | undefined {
  const parts = [...arr(name.given).flatMap((g) => str(g) ?? []), ...(str(name.family) ? [str(name.family) as string] : [])]
  return parts.length > 0 ? parts.join(' ') : str(name.text)
}

/** A person's name: the official one, else usual, else any current one, else the first. */
export function humanName(names: unknown): string | undefined {
  const list = objs(names)
  const name =
    list.find((n) => n.use === 'official') ?? list.find((n) => n.use === 'usual') ?? list.find((n) => n.use !== 'old' && n.use !== 'maiden') ?? list[0]
  return name ? nameText(name) : undefined
}

/** Display of a Reference, else the name of the resource it points to. */
export function personName(ref: unknown, refs: ReferenceIndex): string | undefined {
  const display = str(obj(ref)?.display)
  if (display) return display
  const target = refs.resolve(ref)
  if (!target) return undefined
  return target.resourceType === 'Organization' ? str(target.name) : humanName(target.name)
}
