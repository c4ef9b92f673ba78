// The cards of the 一岗双责 safety responsibility letter (责任书, 002 §四(二), 004):
//   holder   — the letter itself, sent to the holder of the post, with 确认签订 while unsigned
//   progress — a round's signing progress per unit, for the office (refreshed as people sign)
import type { LetterStatusRow, LetterView, Level, SigningParty } from '../db/queries/letters.ts';
import { SIGNING_ROLE_LABEL } from '../handlers/party-labels.ts';
import { formatDateTime } from '../handlers/time.ts';
import { actions, button, type Card, card, divider, fields, listCard, note, text } from './model.ts';

export const LEVEL_LABEL: Record<Level, string> = {
  first: '第一责任人',
  direct: '直接责任人',
  post: '岗位责任人',
};

export const letterTitle = (year: number) => `${year}年度一岗双责安全责任书`;

const numbered = (label: string, items: string[]) =>
  text(
    `${label}：\n${items.length > 0 ? items.map((item, i) => `${i + 1}. ${item}`).join('\n') : '（未登记）'}`,
  );

export const partyText = (party: SigningParty) =>
  party.holders.length > 0
    ? `${SIGNING_ROLE_LABEL[party.role]} ${party.holders.map((holder) => `${holder.name}（${holder.title}）`).join('、')}`
    : SIGNING_ROLE_LABEL[party.role];

export function letterCard(view: LetterView, timeZone: string): Card {
  const { letter, year } = view;
  const post = view.unitName ? `${view.postTitle}（${view.unitName}）` : view.postTitle;
  const signed = letter.signedAt !== null;
  const canSign = !signed && view.current;
  return card(letterTitle(year), signed ? 'green' : view.current ? 'orange' : 'grey', [
    fields([
      ['责任人', view.personName],
      ['岗位', post],
      ['责任级别', LEVEL_LABEL[view.level]],
      ['甲方', partyText(view.party)],
      ['乙方', `${view.personName}（${view.postTitle}）`],
      ['下发时间', formatDateTime(letter.issuedAt, timeZone)],
      [
        '前任',
        view.predecessors.length > 0
          ? view.predecessors
              .map(
                (p) =>
                  `${p.name}（${p.signedAt ? `已于 ${formatDateTime(p.signedAt, timeZone)} 签订` : '未签订'}）`,
              )
              .join('、')
          : undefined,
      ],
      [
        '状态',
        signed
          ? `已签订（${formatDateTime(letter.signedAt!, timeZone)}）`
          : view.current
            ? '待签订'
            : '未签订（已离任，由继任者继续履行）',
      ],
    ]),
    divider(),
    numbered('业务职责', letter.duties.business),
    numbered('安全职责', letter.duties.safety),
    letter.duties.unit &&
      numbered(`本处室安全职责（${letter.duties.unit.name}，处室负责人负责落实）`, letter.duties.unit.duties),
    divider(),
    note(
      '坚持“管业务必须管安全”“谁主管、谁负责”，本岗位在履行业务职责的同时履行上述安全职责，' +
        '层层签订、失职追责。年度内如岗位负责人发生变化，由继任者继续履行。',
    ),
    canSign && actions(button('确认签订', 'letter.sign', { id: String(letter.id) }, 'primary')),
    canSign && note(`请阅读后确认签订。也可发送：签订责任书 ${year}`),
  ]);
}

/** Re-renders a letter's card per view; what `ctx.refresh` needs. */
export const letterRenderer = (view: LetterView, timeZone: string) => (audience: string) =>
  audience === 'holder' ? letterCard(view, timeZone) : undefined;

export interface UnitProgress {
  unitName: string;
  total: number;
  signed: number;
  /** Current holders without a signed letter; `issued` false when their letter is still to come. */
  waiting: { name: string; postTitle: string; issued: boolean }[];
}

/** Groups a round's status by unit, counting current holders only (004 附则: the post passes on). */
export function progressByUnit(rows: LetterStatusRow[], leadersLabel: string): UnitProgress[] {
  const groups = new Map<string, UnitProgress>();
  for (const row of rows) {
    if (!row.current) continue;
    const name = row.unitName ?? leadersLabel;
    const group = groups.get(name) ?? { unitName: name, total: 0, signed: 0, waiting: [] };
    group.total++;
    if (row.signedAt) group.signed++;
    else
      group.waiting.push({ name: row.personName, postTitle: row.postTitle, issued: row.letterId !== null });
    groups.set(name, group);
  }
  return [...groups.values()];
}

export const leadersLabel = (tenantKind: string) => (tenantKind === 'bureau' ? '局领导' : '校领导');

export function letterProgressCard(
  year: number,
  rows: LetterStatusRow[],
  tenantKind: string,
  startedAt?: Date,
  timeZone = 'Asia/Shanghai',
): Card {
  const units = progressByUnit(rows, leadersLabel(tenantKind));
  const total = units.reduce((sum, unit) => sum + unit.total, 0);
  const signed = units.reduce((sum, unit) => sum + unit.signed, 0);
  const former = rows.filter((row) => !row.current && row.signedAt);
  return listCard(`${year}年度责任书签订进度`, signed === total && total > 0 ? 'green' : 'orange', [
    fields([
      ['发起时间', startedAt && formatDateTime(startedAt, timeZone)],
      ['总体', `${signed}/${total} 已签订`],
    ]),
    divider(),
    fields(
      units.map((unit) => [
        unit.unitName,
        `${unit.signed}/${unit.total} 已签订${
          unit.waiting.length > 0
            ? `；未签订：${unit.waiting
                .map((w) => `${w.name}（${w.postTitle}${w.issued ? '' : '，待补发'}）`)
                .join('、')}`
            : ''
        }`,
      ]),
    ),
    former.length > 0 &&
      note(
        `已离任人员签订的责任书仍存档：${former.map((row) => `${row.personName}（${row.postTitle}）`).join('、')}`,
      ),
    note('岗位变动后，系统会向继任者补发本年度责任书，并在下发 3 天、7 天后提醒未签订的人员。'),
  ]);
}

/** Re-renders a round's progress cards; what `ctx.refresh` needs. */
export const progressRenderer =
  (year: number, rows: LetterStatusRow[], tenantKind: string, startedAt: Date, timeZone: string) =>
  (view: string) =>
    view === 'progress' ? letterProgressCard(year, rows, tenantKind, startedAt, timeZone) : undefined;
