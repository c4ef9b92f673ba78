// The tenant's holiday schedule read from the State Council's notice (handlers/holiday-notice.ts).
import { eq } from 'drizzle-orm';
import type { HolidayNotice } from '../../handlers/holiday-notice.ts';
import { settingsSchema, type TenantSettings } from '../../handlers/settings.ts';
import type { Db } from '../client.ts';
import { auditEvents, tenants } from '../schema.ts';

type StoredNotice = NonNullable<TenantSettings['holiday_notices']>[number];

/**
 * Stores a notice's year in the tenant's settings (replacing an earlier import of the same year) with
 * an audit row; deadlines computed from now on count its holidays and make-up workdays.
 */
export async function saveHolidayNotice(
  db: Db,
  tenantId: number,
  notice: HolidayNotice,
  by: { label: string; accountId?: number },
  now: Date,
): Promise<{ replaced: boolean }> {
  return db.transaction(async (tx) => {
    const [tenant] = await tx
      .select({ settings: tenants.settings })
      .from(tenants)
      .where(eq(tenants.id, tenantId))
      .for('update');
    if (!tenant) throw new Error(`tenant ${tenantId} not found`);
    const settings = tenant.settings ?? {};
    const earlier = settingsSchema.shape.holiday_notices.safeParse(settings.holiday_notices);
    const kept = (earlier.success ? (earlier.data ?? []) : []).filter((entry) => entry.year !== notice.year);
    const entry: StoredNotice = {
      year: notice.year,
      ...(notice.source ? { source: notice.source } : {}),
      holidays: notice.holidays,
      workdays: notice.workdays,
      imported_at: now.toISOString(),
      imported_by: by.label,
    };
    const notices = [...kept, entry].sort((a, b) => a.year - b.year);
    await tx
      .update(tenants)
      .set({ settings: { ...settings, holiday_notices: notices } })
      .where(eq(tenants.id, tenantId));
    const replaced = kept.length < (earlier.success ? (earlier.data?.length ?? 0) : 0);
    await tx.insert(auditEvents).values({
      tenantId,
      subject: `calendar:${notice.year}`,
      actorAccountId: by.accountId ?? null,
      action: replaced ? 'calendar.replaced' : 'calendar.imported',
      note: `${notice.year}年节假日安排${notice.source ? `（${notice.source}）` : ''}，由${by.label}导入`,
      data: { holidays: notice.holidays, workdays: notice.workdays },
      at: now,
    });
    return { replaced };
  });
}

/** The imported notices of a tenant's stored settings, to keep when its organization file is imported again. */
export function importedNotices(settings: unknown): StoredNotice[] | undefined {
  const raw = (settings as Record<string, unknown> | null)?.holiday_notices;
  const parsed = settingsSchema.shape.holiday_notices.safeParse(raw);
  return parsed.success && parsed.data && parsed.data.length > 0 ? parsed.data : undefined;
}
