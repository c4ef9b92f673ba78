// Secrets the instances share (app_secrets): made once by whichever instance comes first.
import { eq } from 'drizzle-orm';
import type { Queryable } from '../client.ts';
import { appSecrets } from '../schema.ts';

/** The secret's value: `fresh` if nobody stored one under `name` before, else the one stored. */
export async function sharedSecret(db: Queryable, name: string, fresh: string): Promise<string | undefined> {
  await db.insert(appSecrets).values({ name, value: fresh }).onConflictDoNothing();
  const [row] = await db.select().from(appSecrets).where(eq(appSecrets.name, name));
  return row?.value;
}
