// Offers to file a text as a hazard report (the 上报隐患 button under a text that reads like one).
import { and, eq, isNull } from 'drizzle-orm';
import type { Queryable } from '../client.ts';
import { reportOffers } from '../schema.ts';
import { byIdInTenant } from './rows.ts';

export type ReportOffer = typeof reportOffers.$inferSelect;

export async function insertReportOffer(
  db: Queryable,
  row: typeof reportOffers.$inferInsert,
): Promise<number> {
  const [offer] = await db.insert(reportOffers).values(row).returning({ id: reportOffers.id });
  return offer!.id;
}

export const reportOfferById = byIdInTenant(reportOffers);

/** Records the hazard an offer was filed as; false when another press filed it first. */
export async function takeOffer(db: Queryable, offerId: number, hazardId: number): Promise<boolean> {
  const [taken] = await db
    .update(reportOffers)
    .set({ hazardId })
    .where(and(eq(reportOffers.id, offerId), isNull(reportOffers.hazardId)))
    .returning({ id: reportOffers.id });
  return taken !== undefined;
}
