// The office's web-console accounts as actors: outside demo mode the console acts in the account's own
// name, and the trail shows it as such (issue 14).
import { inArray } from 'drizzle-orm';
import { accountLabel } from '../../handlers/party-labels.ts';
import type { Queryable } from '../client.ts';
import { adminAccounts } from '../schema.ts';

/** A console account acting in its own name. */
export interface OfficeAccount {
  id: number;
  username: string;
  displayName: string;
}

/** The labels of accounts by id (ids may repeat or be null), in the vocabulary's words (`accountLabel`). */
export async function accountLabels(db: Queryable, ids: (number | null)[]): Promise<Map<number, string>> {
  const wanted = [...new Set(ids.filter((id): id is number => id !== null))];
  if (wanted.length === 0) return new Map();
  const rows = await db
    .select({
      id: adminAccounts.id,
      username: adminAccounts.username,
      displayName: adminAccounts.displayName,
    })
    .from(adminAccounts)
    .where(inArray(adminAccounts.id, wanted));
  return new Map(rows.map((row) => [row.id, accountLabel(row)]));
}
