// Multi-row statements in slices. PostgreSQL takes at most 65,535 parameters in one statement (its wire
// protocol counts them in 16 bits), so one insert of 10,000 people's rows of 7 columns fails; a district
// has that many.

/** `rows` in slices of `size` (1000 rows × up to 65 columns stays within the limit). */
export function chunks<T>(rows: readonly T[], size = 1000): T[][] {
  const slices: T[][] = [];
  for (let at = 0; at < rows.length; at += size) slices.push(rows.slice(at, at + size));
  return slices;
}
