/**
 * Response serialisation from the route's zod schema (STYLE §2: the response schema drops
 * any field it does not list), without running zod on every response (issue 11: zod's
 * encode was a sixth of a record list's CPU). A schema JSON Schema can describe exactly is
 * compiled once with fast-json-stringify (Fastify's own serializer); any other schema keeps
 * fastify-type-provider-zod's serializer, so the bytes on the wire do not change.
 */
import fastJson from 'fast-json-stringify'
import type { FastifySerializerCompiler } from 'fastify/types/schema.js'
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod'
import { z } from 'zod'

/**
 * Zod features whose output differs from the plain JSON of the value, or that JSON Schema
 * cannot express: transforms, pipes and codecs, defaults and catches, dates, custom and lazy
 * types. A schema using any of them stays on zod.
 */
const ZOD_ONLY_TYPES = new Set(['transform', 'pipe', 'codec', 'default', 'prefault', 'catch', 'date', 'custom', 'lazy', 'promise', 'function', 'bigint', 'symbol', 'undefined', 'void', 'never', 'map', 'set', 'nan', 'success', 'file', 'template_literal'])

interface ZodInternals {
  _zod: { def: { type: string; checks?: Array<{ _zod: { def: { check: string } } }> } }
}

/**
 * The JSON Schema of `schema` when fast-json-stringify reproduces zod's output for every
 * value zod accepts, else undefined: no type from `ZOD_ONLY_TYPES`, no `overwrite` check
 * (`.trim()`, `.toLowerCase()`…, which change the value), nothing unrepresentable.
 */
export function plainJsonSchemaOf(schema: z.ZodType): object | undefined {
  let plain = true
  try {
    const json = z.toJSONSchema(schema, {
      target: 'draft-07',
      io: 'output',
      unrepresentable: 'throw',
      cycles: 'throw',
      reused: 'inline',
      override: ({ zodSchema }) => {
        const def = (zodSchema as unknown as ZodInternals)._zod.def
        if (ZOD_ONLY_TYPES.has(def.type)) plain = false
        if (def.checks?.some((c) => c._zod.def.check === 'overwrite')) plain = false
      },
    })
    return plain ? json : undefined
  } catch {
    return undefined
  }
}

/**
 * The app's serializer compiler: fast-json-stringify for a response schema that
 * `plainJsonSchemaOf` accepts, the zod serializer (encode, then JSON.stringify; a value that
 * does not fit is a 500) for the rest. Unlike zod, fast-json-stringify does not reject a
 * value of the wrong type; the service's mapper (`to…Dto`) is what shapes the value.
 */
export const serializerCompiler: FastifySerializerCompiler<z.ZodType> = (route) => {
  const json = plainJsonSchemaOf(route.schema)
  if (!json) return zodSerializerCompiler(route as Parameters<typeof zodSerializerCompiler>[0])
  return fastJson(json as Parameters<typeof fastJson>[0]) as (data: unknown) => string
}
