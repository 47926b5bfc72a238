/**
 * The two sides of the schema drift test (src/db/schema.test.ts): the tables of a migrated
 * database as `information_schema` describes them, and the tables of `schema.ts`'s `DB`
 * type as the TypeScript compiler reads them; and the plain-words list of where they differ.
 */
import { fileURLToPath } from 'node:url'
import { CamelCasePlugin, sql, type Kysely } from 'kysely'
import ts from 'typescript'

/** Table name → column name → nullable, both sides in SQL snake_case. */
export type TableShapes = Map<string, Map<string, boolean>>

/** The file the app's Kysely instance is typed by. */
export const SCHEMA_TS = fileURLToPath(new URL('../../src/db/schema.ts', import.meta.url))

/** Kysely's own bookkeeping tables (its Migrator's), which `schema.ts` rightly does not declare. */
const KYSELY_TABLES = ['kysely_migration', 'kysely_migration_lock']

/** Exposes the CamelCasePlugin's own camelCase → snake_case mapping, so names compare as the app maps them. */
class SnakeCase extends CamelCasePlugin {
  map = (name: string): string => this.snakeCase(name)
}
const toSnakeCase = new SnakeCase().map

/**
 * Reads every column of the database's current schema (where the migrations create our
 * tables: pg-boss keeps its own schema), leaving out Kysely's migration tables.
 */
export async function readDatabaseTables(db: Kysely<unknown>): Promise<TableShapes> {
  const { rows } = await sql<{ table_name: string; column_name: string; is_nullable: 'YES' | 'NO' }>`
    SELECT table_name, column_name, is_nullable FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name NOT IN (${sql.join(KYSELY_TABLES)})
    ORDER BY table_name, ordinal_position`.execute(db.withoutPlugins())
  const tables: TableShapes = new Map()
  for (const r of rows) {
    const columns = tables.get(r.table_name) ?? new Map<string, boolean>()
    columns.set(r.column_name, r.is_nullable === 'YES')
    tables.set(r.table_name, columns)
  }
  return tables
}

/**
 * Reads the interfaces behind `DB` in `schema.ts` with the TypeScript compiler (strict, so
 * `null` survives): each table and column name mapped to snake_case, a column nullable
 * when its type is a union with `null`. `text` replaces the file's contents (to check the
 * check against a broken copy). Throws when the file does not declare `DB`.
 */
export function readSchemaTypes(file: string = SCHEMA_TS, text?: string): TableShapes {
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  }
  const host = ts.createCompilerHost(options)
  if (text !== undefined) {
    const getSourceFile = host.getSourceFile.bind(host)
    host.getSourceFile = (name, languageVersion, ...rest) =>
      path(name) === path(file) ? ts.createSourceFile(name, text, languageVersion) : getSourceFile(name, languageVersion, ...rest)
  }
  const program = ts.createProgram([file], options, host)
  const checker = program.getTypeChecker()
  const source = program.getSourceFile(file)
  const db = source?.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'DB')
  if (!db) throw new Error(`${file} declares no interface DB`)
  const tables: TableShapes = new Map()
  for (const table of checker.getTypeAtLocation(db).getProperties()) {
    const columns = new Map<string, boolean>()
    for (const column of checker.getTypeOfSymbolAtLocation(table, db).getProperties()) {
      const type = checker.getTypeOfSymbolAtLocation(column, db)
      const nullable = type.isUnion() ? type.types.some((t) => t.flags & ts.TypeFlags.Null) : (type.flags & ts.TypeFlags.Null) !== 0
      columns.set(toSnakeCase(column.name), nullable)
    }
    tables.set(toSnakeCase(table.name), columns)
  }
  return tables
}

const path = (name: string): string => name.replaceAll('\\', '/')

/**
 * Every difference between the migrated database and `schema.ts`, one sentence each
 * (e.g. "table records: column foo_bar is in the database but not in schema.ts"); empty
 * when they agree on tables, columns and nullability.
 */
export function schemaDifferences(database: TableShapes, types: TableShapes): string[] {
  const out: string[] = []
  const onlyIn = (what: string, side: 'the database' | 'schema.ts') =>
    `${what} is in ${side} but not in ${side === 'schema.ts' ? 'the database' : 'schema.ts'}`
  for (const [table, columns] of database) {
    const declared = types.get(table)
    if (!declared) {
      out.push(onlyIn(`table ${table}`, 'the database'))
      continue
    }
    for (const [column, nullable] of columns) {
      const typed = declared.get(column)
      if (typed === undefined) out.push(`table ${table}: ${onlyIn(`column ${column}`, 'the database')}`)
      else if (typed !== nullable)
        out.push(`table ${table}: column ${column} is ${nullable ? 'nullable' : 'NOT NULL'} in the database but its type ${typed ? 'has' : 'lacks'} \`| null\` in schema.ts`)
    }
    for (const column of declared.keys()) {
      if (!columns.has(column)) out.push(`table ${table}: ${onlyIn(`column ${column}`, 'schema.ts')}`)
    }
  }
  for (const table of types.keys()) {
    if (!database.has(table)) out.push(onlyIn(`table ${table}`, 'schema.ts'))
  }
  return out
}
