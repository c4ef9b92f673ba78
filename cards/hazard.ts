// The cards of a hazard. Views: `public` (the chat where it was reported), `handler` (the responsible
// office head, with the buttons they may press).
import type { HazardView } from '../db/queries/hazards.ts';
import { SEVERITY_LABEL, STATUS_LABEL } from '../handlers/hazard-rules.ts';
import { formatDateTime } from '../handlers/time.ts';
import { actions, button, type Card, card, fields, note, type Tone } from './model.ts';

const TONE: Record<keyof typeof STATUS_LABEL, Tone> = {
  reported: 'orange',
  accepted: 'blue',
  rectifying: 'blue',
  pending_review: 'blue',
  closed: 'green',
  rejected: 'grey',
};

export const hazardSubject = (hazardId: number) => `hazard:${hazardId}`;

export function hazardCard(view: HazardView, timeZone: string, audience: 'public' | 'handler'): Card {
  const { hazard } = view;
  const accepted =
    hazard.acceptedAt && view.acceptedByName
      ? `${view.acceptedByName}（${formatDateTime(hazard.acceptedAt, timeZone)}）`
      : undefined;
  return card(
    `隐患 ${hazard.code}${hazard.listed ? '【挂牌督办】' : ''}`,
    hazard.severity === 'grave' ? 'red' : TONE[hazard.status],
    [
      fields([
        ['隐患描述', hazard.description],
        ['地点', hazard.place],
        ['类别', view.categoryName ?? '未识别（已转安全办公室）'],
        ['严重程度', SEVERITY_LABEL[hazard.severity]],
        ['责任处室', view.unitName],
        ['上报人', view.reporterOutside ? `${view.reporterName}（外部人员）` : view.reporterName],
        ['上报时间', formatDateTime(hazard.createdAt, timeZone)],
        ['照片', view.photoCount > 0 ? `${view.photoCount} 张` : undefined],
        ['状态', STATUS_LABEL[hazard.status]],
        ['受理人', accepted],
      ]),
      audience === 'handler' &&
        hazard.status === 'reported' &&
        actions(button('受理', 'hazard.accept', { id: String(hazard.id) }, 'primary')),
      audience === 'public' && hazard.status === 'reported' && note('已通知责任处室负责人受理。'),
    ],
  );
}
