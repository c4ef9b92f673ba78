// "The row of this button, or refuse": a button (or a console form) names a row by its id; the row is
// read within the actor's tenant, and a missing, foreign or malformed id gets the polite message instead.
import type { ActionContext, Context } from '../bot/core/context.ts';
import { Refusal } from '../bot/core/errors.ts';
import type { Queryable } from '../db/client.ts';
import { rowId } from '../db/queries/ids.ts';

/** Reads one row of a tenant by id (a `db/queries` function). */
export type RowLoader<T> = (db: Queryable, tenantId: number, id: number) => Promise<T | undefined>;

/** The row with this id (as a button or form carries it) in the context's tenant, or a refusal. */
export async function rowOrRefuse<T>(
  ctx: Pick<Context, 'db' | 'tenant'>,
  id: unknown,
  load: RowLoader<T>,
  missing: string,
): Promise<T> {
  const valid = rowId(id);
  const row = valid === undefined ? undefined : await load(ctx.db, ctx.tenant.id, valid);
  if (!row) throw new Refusal(missing);
  return row;
}

/** The row a pressed button names by its argument `arg` (`id` unless told), or a refusal. */
export const rowOfButton = <T>(ctx: ActionContext, load: RowLoader<T>, missing: string, arg = 'id') =>
  rowOrRefuse(ctx, ctx.event.args[arg], load, missing);
