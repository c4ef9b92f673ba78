// Row ids as buttons and forms carry them: text that must name a serial (PostgreSQL integer) id before it
// reaches a query, since a number beyond the column's range makes the query itself fail.

/** The largest value of a PostgreSQL `integer` (and so of a `serial` id). */
const MAX_SERIAL = 2_147_483_647;

/** A row id written as decimal digits (`"12"`), or undefined when the value cannot be one. */
export function rowId(value: unknown): number | undefined {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  if (!/^\d{1,10}$/.test(text)) return undefined;
  const id = Number(text);
  return id >= 1 && id <= MAX_SERIAL ? id : undefined;
}
