// How a step of a hazard's trail reads, on the hazard's cards (进展) and in the ledger's 处理过程.

import { STATUS_LABEL } from '../handlers/hazard-rules.ts';
import { ACTION_LABEL, type HazardStatus } from '../handlers/hazard-workflow.ts';
import { accountLabel } from '../handlers/party-labels.ts';

/** The trail's names of actions (hazard_events.action); anything else is shown as it is stored. */
export const TRAIL_ACTION_LABEL: Record<string, string> = {
  report: '上报',
  ...ACTION_LABEL,
  assign: '指派',
  evidence: '补充整改照片',
  evidence_failed: '照片未能保存',
  'duplicate-merged': '并入重复上报',
};

/** After the name of an outside reporter. */
export const OUTSIDE = '（外部人员）';
const SYSTEM_ACTOR = '系统';

/** One step of a hazard's trail without its time: `陈静 受理 → 已受理；note` (ledger and cards). */
export function trailStep(event: {
  action: string;
  fromStatus: HazardStatus | null;
  toStatus: HazardStatus | null;
  note: string | null;
  actorName: string | null;
  actorOutside: boolean | null;
  actorAccount?: { username: string; displayName: string } | null;
}): string {
  const actor = event.actorName
    ? `${event.actorName}${event.actorOutside ? OUTSIDE : ''}`
    : event.actorAccount
      ? accountLabel(event.actorAccount)
      : SYSTEM_ACTOR;
  const action = TRAIL_ACTION_LABEL[event.action] ?? event.action;
  const moved =
    event.toStatus && event.toStatus !== event.fromStatus ? ` → ${STATUS_LABEL[event.toStatus]}` : '';
  const note = event.note?.trim() ? `；${oneLine(event.note)}` : '';
  return `${actor} ${action}${moved}${note}`;
}

/** Text on one line: line breaks (and the spaces around them) become one space. */
export const oneLine = (text: string) => text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
