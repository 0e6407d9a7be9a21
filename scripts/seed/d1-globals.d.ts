// The node project type-checks src/catalog/product-rows.ts because the seeder writes its SQL;
// its toStatements() names D1's types, which only the Workers project declares globally.
// These are the members it uses, nothing more.
interface D1PreparedStatement {
  bind(...values: unknown[]): D1PreparedStatement
}
interface D1Database {
  prepare(query: string): D1PreparedStatement
}
