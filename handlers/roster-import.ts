// A roster file (值班表, XLSX or CSV) read and imported; for the CLI and the web console.
import type { Db } from '../db/client.ts';
import { importRoster, type RosterImportSummary, rosterReading } from '../db/queries/shifts.ts';
import type { ParsedRoster } from './roster-file.ts';
import { parseRosterInThread } from './upload-thread.ts';

/**
 * Reads a roster file (XLSX or CSV) against the tenant's people and time zone, and imports it. A bad file
 * throws RosterFileError (file, row, column, reason) and writes nothing. The file is parsed on a thread of
 * its own (handlers/upload-thread.ts).
 */
export async function importRosterFile(
  db: Db,
  tenantId: number,
  file: string,
  bytes: Uint8Array,
  now: Date,
  byAccountId: number | null = null,
): Promise<RosterImportSummary & { roster: ParsedRoster }> {
  const roster = await parseRosterInThread(file, bytes, await rosterReading(db, tenantId));
  return { ...(await importRoster(db, tenantId, roster.rows, now, byAccountId)), roster };
}
