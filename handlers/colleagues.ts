// Naming a colleague in a command — 换班, 派任务, 指派 — the same way on every channel: a platform
// @-mention (the console's mention carries the person id), or a typed name or person code. Two members
// with one name are never guessed between: the caller offers the choice.
import type { Context } from '../bot/core/context.ts';
import type { Channel, ExternalUser } from '../bot/core/types.ts';
import type { Queryable } from '../db/client.ts';
import { rowId } from '../db/queries/ids.ts';
import { type Person, peopleByIdentity, personById } from '../db/queries/org.ts';
import { currentUnitsOf } from '../db/queries/people.ts';

/** The member of this tenant a platform @-mention names, if any. */
export async function mentionedMember(
  ctx: Pick<Context, 'db' | 'tenant'> & { event: { channel: Channel } },
  mention: ExternalUser,
): Promise<Person | undefined> {
  const personId = rowId(mention.ids.find((id) => id.kind === 'person')?.value);
  if (ctx.event.channel === 'console' && personId) {
    const person = await personById(ctx.db, ctx.tenant.id, personId);
    return person && !person.isOutside && !person.archived ? person : undefined;
  }
  return (await peopleByIdentity(ctx.db, ctx.event.channel, mention.ids)).find(
    (candidate) => candidate.tenantId === ctx.tenant.id && !candidate.archived,
  );
}

/** The refusal for a name several members share: name each by person code, which is unique. */
export const namesakesText = (word: string, matches: Person[]) =>
  `“${word}”有 ${matches.length} 人同名，请改用人员编号：${matches.map((person) => `@${person.code}`).join('、')}`;

/** `张伟（总务处）`: a person with the units of the posts they hold, to tell namesakes apart. */
export async function withUnits(db: Queryable, found: Person[]): Promise<string[]> {
  if (found.length === 0) return [];
  const rows = await currentUnitsOf(
    db,
    found.map((person) => person.id),
  );
  return found.map((person) => {
    const names = [...new Set(rows.filter((row) => row.personId === person.id).map((row) => row.unit))];
    return `${person.name}（${names.length > 0 ? names.join('、') : person.code}）`;
  });
}
