// Tenant policies, with defaults a school can start from; set per tenant under `settings:` in the
// organization file.
import { z } from 'zod';
import { assessmentSchema, DEFAULT_ASSESSMENT } from './accident-rules.ts';
import { isIsoDate } from './calendar.ts';

const deadline = z.strictObject({
  days: z.number().int().min(1).max(365),
  unit: z.enum(['working', 'calendar']).default('working'),
});

/** MM-DD of a day every year has (02-29 is not one). */
const monthDay = z
  .string()
  .regex(/^\d{2}-\d{2}$/, 'must be MM-DD')
  .refine((value) => isIsoDate(`2001-${value}`), 'must be a real month and day (MM-DD)');
const calendarDate = z.string().refine(isIsoDate, 'must be a real date written YYYY-MM-DD');

export const settingsSchema = z.strictObject({
  /** Rectification deadlines by severity, from the day a hazard is accepted. */
  hazard_deadlines: z.strictObject({ general: deadline, major: deadline, grave: deadline }).default({
    general: { days: 7, unit: 'working' },
    major: { days: 15, unit: 'working' },
    grave: { days: 30, unit: 'working' },
  }),
  /** Remind the rectifier this many days before the deadline. */
  hazard_reminder_days_before: z.number().int().min(0).max(30).default(2),
  /** Days after the deadline before the 第一责任人 and the office are told (the 直接责任人 is told at once). */
  hazard_escalate_after_days: z.number().int().min(0).max(30).default(1),
  // Every open state is chased (DOMAIN §6; 002 §五.3). "N working days" ends, like a rectification
  // deadline, with the N-th working day after the day the state began (handlers/calendar.ts deadlineFrom).
  /**
   * A 重大 hazard not accepted within this many clock hours (nights and holidays too: a grave hazard does
   * not wait for Monday) → the 第一责任人 and the office again; the unit head is reminded half-way.
   */
  hazard_accept_grave_hours: z.number().int().min(1).max(72).default(2),
  /**
   * A 较大/一般 hazard not accepted within this many working days → the unit's 直接责任人 (分管); the unit
   * head is reminded at 08:00 of the working day half-way there.
   */
  hazard_accept_working_days: z.number().int().min(1).max(30).default(1),
  /** …and this many working days more → the office. */
  hazard_accept_office_after_working_days: z.number().int().min(1).max(30).default(1),
  /** A rectification not re-inspected within this many working days → the office director. */
  hazard_review_working_days: z.number().int().min(1).max(30).default(2),
  /** …and this many working days more → the 第一责任人. */
  hazard_review_first_after_working_days: z.number().int().min(1).max(30).default(2),
  /** An extension request not decided within this many working days → its approver again. */
  hazard_extension_working_days: z.number().int().min(1).max(30).default(1),
  /** …and this many working days more → the office. */
  hazard_extension_office_after_working_days: z.number().int().min(1).max(30).default(1),
  /** Duty shifts: the confirm card goes this long before the start; no confirmation by start + grace escalates. */
  shift_lead_minutes: z.number().int().min(0).max(1440).default(120),
  shift_grace_minutes: z.number().int().min(1).max(240).default(15),
  /**
   * When a recurring duty is reminded: at the period start, at mid-period and these many days before the
   * period ends while it is not met (a missed period is always reported the day after it closes).
   */
  obligation_reminders: z
    .strictObject({
      at_start: z.boolean().default(true),
      at_mid: z.boolean().default(true),
      days_before_end: z.array(z.number().int().min(1).max(180)).default([10, 3]),
    })
    .default({ at_start: true, at_mid: true, days_before_end: [10, 3] }),
  /**
   * The weekly digest (issue 15 §5) to the 第一责任人 and the office director, Monday 08:00 local time:
   * last week's hazards, this period's duties per unit, shift confirmations and open tasks.
   */
  weekly_digest: z.boolean().default(true),
  /**
   * An accident is reported to the level above within this many clock hours of when it happened; the
   * seeds say only “第一时间” (001 §二(四) 法规安全科 3), so one hour is our default. Past it, the office
   * and the 第一责任人 are reminded until the report is recorded.
   */
  accident_report_hours: z.number().int().min(1).max(72).default(1),
  /** The scored year-end assessment (issue 20 §5): items, weights, 等次 thresholds; 001 §三.4 by default. */
  assessment: assessmentSchema.default(DEFAULT_ASSESSMENT),
  /** School semesters as MM-DD (autumn runs from its start to the day before spring starts). */
  semesters: z
    .strictObject({
      autumn_start: monthDay,
      spring_start: monthDay,
      spring_end: monthDay,
    })
    .default({ autumn_start: '09-01', spring_start: '02-01', spring_end: '07-31' }),
  /**
   * A holiday schedule the `chinese-days` package does not have yet (next year's State Council notice),
   * as a file beside the organization file; loaded into `calendar` when the organization is imported.
   */
  calendar_file: z.string().optional(),
  calendar: z
    .strictObject({
      holidays: z.array(calendarDate),
      workdays: z.array(calendarDate),
      covers: z.array(z.number().int()).optional(),
    })
    .refine((calendar) => !calendar.workdays.some((date) => calendar.holidays.includes(date)), {
      message: 'a date cannot be both a holiday and a workday',
      path: ['workdays'],
    })
    .optional(),
  /**
   * Years read from the State Council's notice (console 节假日安排 or `npm run calendar:import`); kept
   * when the organization file is imported again, and added to `calendar` by tenantSettings().
   */
  holiday_notices: z
    .array(
      z.strictObject({
        year: z.number().int(),
        source: z.string().optional(),
        holidays: z.array(calendarDate),
        workdays: z.array(calendarDate),
        imported_at: z.string(),
        imported_by: z.string(),
      }),
    )
    .optional(),
});

export type TenantSettings = z.output<typeof settingsSchema>;

/** The tenant's settings with defaults filled in; the org importer validated them on the way in. */
export function tenantSettings(raw: unknown): TenantSettings {
  const parsed = settingsSchema.safeParse(raw ?? {});
  return withHolidayNotices(parsed.success ? parsed.data : settingsSchema.parse({}));
}

/** `calendar` with the imported notices' years: a notice wins over the organization file for its dates. */
function withHolidayNotices(settings: TenantSettings): TenantSettings {
  const notices = settings.holiday_notices ?? [];
  if (notices.length === 0) return settings;
  const holidays = new Set(settings.calendar?.holidays ?? []);
  const workdays = new Set(settings.calendar?.workdays ?? []);
  const covers = new Set(settings.calendar?.covers ?? []);
  for (const notice of notices) {
    for (const date of notice.holidays) {
      workdays.delete(date);
      holidays.add(date);
    }
    for (const date of notice.workdays) {
      holidays.delete(date);
      workdays.add(date);
    }
    covers.add(notice.year);
  }
  return {
    ...settings,
    calendar: {
      holidays: [...holidays].sort(),
      workdays: [...workdays].sort(),
      covers: [...covers].sort((a, b) => a - b),
    },
  };
}

/** The tenant's semesters in the shape handlers/periods.ts takes. */
export const semestersOf = (settings: TenantSettings) => ({
  autumnStart: settings.semesters.autumn_start,
  springStart: settings.semesters.spring_start,
  springEnd: settings.semesters.spring_end,
});
