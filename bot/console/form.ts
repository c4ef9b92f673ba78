// A console form, validated by @hono/zod-validator: the fields as the page reads them (text, trimmed,
// cut to a length: normalizing never fails, so a refused form is shown again as it was typed), then the
// form's own checks in order, each answering the page's own words. Checks that need rows (is this person
// of the tenant?) stay in the route, after these.
import { basename } from 'node:path';
import { zValidator } from '@hono/zod-validator';
import { z } from 'zod';
import type { ConsoleContext } from './kit.ts';

/** A field as text: '' when absent or a file; the last value when sent twice (as parseBody keeps it). */
export const textField = z
  .unknown()
  // Optional: a field the browser did not send (an unchecked box, a missing select) is '' too.
  .optional()
  .transform((value) => (Array.isArray(value) ? value.at(-1) : value))
  .transform((value) => (typeof value === 'string' ? value : ''));

/** A field trimmed and cut to `max` characters (a form field is never longer than its purpose). */
export const trimmedField = (max = Number.POSITIVE_INFINITY) =>
  textField.transform((value) => value.trim().slice(0, max));

/** A check of the whole form: the message that refuses it, or undefined. */
export type FormCheck<T> = (values: T) => string | undefined;

/** The checks of a form, in order, and how the page answers the first that fails. */
export interface FormChecks<T> {
  checks: FormCheck<T>[];
  refuse: (c: ConsoleContext, values: T, message: string) => Promise<Response>;
}

/**
 * The middleware of a form post (after `kit.post`): `c.req.valid('form')` is then the normalized values.
 * A form the first failing check refuses is answered by `refuse` with the values and that check's message.
 */
export function validForm<Shape extends z.ZodRawShape>(
  shape: Shape,
  checked: FormChecks<z.output<z.ZodObject<Shape>>> = { checks: [], refuse: () => Promise.reject() },
) {
  const fields = z.object(shape);
  const schema = fields.superRefine((values, ctx) => {
    for (const check of checked.checks) {
      const message = check(values);
      if (message === undefined) continue;
      ctx.addIssue({ code: 'custom', message });
      return;
    }
  });
  return zValidator('form', schema, async (result, c) => {
    if (result.success) return;
    // The fields themselves never fail: what failed is a check, whose message the page shows.
    const values = fields.parse(result.data);
    // Mounted after `kit.post` on the console's routes only: the context is the console's.
    return checked.refuse(c as unknown as ConsoleContext, values, result.error.issues[0]?.message ?? '');
  });
}

/** What an upload form is for: its kind (the name of a file without one), the names it takes, the refusals. */
export interface UploadRules {
  kind: string;
  accepted: RegExp;
  missing: string;
  refused: (name: string) => string;
}

/**
 * A form's uploaded file under its base name (at most 120 characters; `kind` when it has none), or
 * undefined when there is none or it is empty.
 */
const uploadField = (kind: string) =>
  z
    .unknown()
    .optional()
    .transform((value) => (Array.isArray(value) ? value.at(-1) : value))
    .transform((file) =>
      file instanceof File && file.size > 0
        ? { name: basename(file.name.replaceAll('\\', '/')).slice(-120) || kind, file }
        : undefined,
    );

/**
 * The middleware of an upload form (its `file` field): refused, with `refuse`'s page and the rule's
 * message, when there is no file, it is empty, or its name does not end as `accepted` wants.
 */
export function uploadForm(
  rules: UploadRules,
  refuse: (c: ConsoleContext, message: string) => Promise<Response>,
) {
  return validForm(
    { file: uploadField(rules.kind) },
    {
      checks: [
        ({ file }) => (file ? undefined : rules.missing),
        ({ file }) => (file && !rules.accepted.test(file.name) ? rules.refused(file.name) : undefined),
      ],
      refuse: (c, _values, message) => refuse(c, message),
    },
  );
}
