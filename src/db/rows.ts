import type { InferSelectModel, Table } from 'drizzle-orm'

/**
 * A row as raw D1 SQL returns it (`SELECT *`, `.first<...>()`): the database's column names with
 * the types of the drizzle table in src/db/schema/, the one description of every table. Import
 * this and the tables as types only: the Worker bundle does not carry drizzle.
 */
export type RowOf<T extends Table> = InferSelectModel<T, { dbColumnNames: true }>
