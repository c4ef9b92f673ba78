// The cards of a hazard, one rendering per audience (view). Every copy of a hazard's card is refreshed
// when it changes, so each shows the current state and only the buttons its audience may press.
//   public   — the chat where it was reported          handler  — the responsible unit's head
//   rectifier — the person rectifying it               reviewer — the office / inspection group
//   approver — the 直接责任人 deciding an extension     leader   — leaders told of a grave or overdue one
//   complete — the reporter, asked for what is missing
//   bureau   — the bureau's office and the school's 分包 members (a 重大 hazard, a listing; issue 19)
import type { HazardView } from '../db/queries/hazards.ts';
import { withEstimate } from '../handlers/deadlines.ts';
import { PHOTO_STAGES, type PhotoStage, STAGE_LABEL } from '../handlers/evidence-rules.ts';
import { fundsText, SEVERITY_LABEL, STATUS_LABEL } from '../handlers/hazard-rules.ts';
import { photoCountText } from '../handlers/photo-text.ts';
import { formatDateTime } from '../handlers/time.ts';
import {
  type Block,
  type Button,
  button,
  type Card,
  card,
  divider,
  type FormInput,
  fields,
  images,
  note,
  type Tone,
  text,
} from './model.ts';
import { trailStep } from './trail.ts';

export type HazardAudience =
  | 'public'
  | 'handler'
  | 'rectifier'
  | 'reviewer'
  | 'approver'
  | 'leader'
  | 'complete'
  | 'bureau';
export const HAZARD_AUDIENCES: readonly HazardAudience[] = [
  'public',
  'handler',
  'rectifier',
  'reviewer',
  'approver',
  'leader',
  'complete',
  'bureau',
];

/** The button on the bureau's copy that opens the hazard as it is now (handlers/bureau/open.ts). */
export const BUREAU_OPEN_ACTION = 'bureau.hazard';

const TONE: Record<keyof typeof STATUS_LABEL, Tone> = {
  reported: 'orange',
  accepted: 'blue',
  rectifying: 'blue',
  pending_review: 'blue',
  closed: 'green',
  rejected: 'grey',
};

export const hazardSubject = (hazardId: number) => `hazard:${hazardId}`;

const form = (name: string, inputs: FormInput[], submit: Button): Block => ({
  kind: 'form',
  name,
  inputs,
  submit,
});
const row = (...buttons: Button[]): Block => ({ kind: 'actions', buttons });
const assignForm = (id: { id: string }): Block =>
  form(
    'assign',
    [{ name: 'rectifier', label: '整改人', placeholder: '姓名或人员编号', required: true }],
    button('指派', 'hazard.assign', id),
  );

/** The pending extension request, with both deadlines; the approver decides from this. */
function extensionBlocks(view: HazardView, at: (date: Date | null | undefined) => string | undefined) {
  const pending = view.pendingExtension;
  if (!pending) return [];
  const { hazard } = view;
  const passesListing = Boolean(
    hazard.listed && hazard.listedDeadline && pending.newDeadline > hazard.listedDeadline,
  );
  return [
    fields([
      ['延期申请', `延期 ${pending.days} 天（待审批）`],
      ['申请人', pending.requesterName],
      ['延期原因', pending.reason],
      ['现整改期限', at(hazard.deadline)],
      ['申请延至', withEstimate(at(pending.newDeadline), pending.newDeadlineEstimated)],
      ['督办期限', hazard.listed ? at(hazard.listedDeadline) : undefined],
    ]),
    passesListing && note(`注意：申请延至的期限晚于督办期限 ${at(hazard.listedDeadline)}。`),
  ];
}

/** The most photos a card shows; the console's hazard page and the photo pack have them all. */
export const CARD_PHOTOS_MAX = 4;

/**
 * A hazard's photos: up to CARD_PHOTOS_MAX stored ones, each labelled with its stage and number
 * (`整改前 1`), both stages shown when both have photos (half each when there are more); one still being
 * downloaded is counted, one given up is not. Channels without images in cards show the count and where
 * to see them.
 */
export function photosBlock(
  photos: readonly { stage: PhotoStage; status: string; fileId: number | null }[],
): Block | false {
  // A photo refused or lost is on the trail, not counted as evidence (as the photo count of the view).
  const kept = photos.filter((photo) => photo.status !== 'failed');
  if (kept.length === 0) return false;
  const stored = PHOTO_STAGES.map((stage) =>
    kept
      .filter((photo) => photo.stage === stage)
      .map((photo, index) => ({ photo, label: `${STAGE_LABEL[stage]} ${index + 1}` }))
      .filter(({ photo }) => photo.status === 'stored' && photo.fileId !== null),
  );
  const [before = [], after = []] = stored;
  const afterShown = Math.min(after.length, Math.max(CARD_PHOTOS_MAX - before.length, CARD_PHOTOS_MAX / 2));
  const shown = [...before.slice(0, CARD_PHOTOS_MAX - afterShown), ...after.slice(0, afterShown)];
  const counted = photoCountText(kept);
  const rest = kept.length - shown.length;
  return images(
    shown.map(({ photo, label }) => ({ fileId: photo.fileId!, label })),
    rest > 0 ? `${counted}，其余 ${rest} 张见管理后台` : counted,
    `${counted}，请在管理后台查看`,
  );
}

/** 进展: the latest steps of the trail, oldest first. */
function progressBlock(view: HazardView, timeZone: string): Block | false {
  if (view.recentSteps.length === 0) return false;
  const lines = view.recentSteps.map((step) => `${formatDateTime(step.at, timeZone)} ${trailStep(step)}`);
  return text(`进展：\n${lines.join('\n')}`);
}

function actionsFor(view: HazardView, audience: HazardAudience): (Block | false)[] {
  const { hazard } = view;
  const id = { id: String(hazard.id) };
  const code = hazard.code;
  const underRectification = hazard.status === 'accepted' || hazard.status === 'rectifying';
  const rectify = [
    form(
      'rectify',
      [
        {
          name: 'measures',
          label: '整改措施',
          placeholder: '已采取的措施、完成情况',
          required: true,
          multiline: true,
        },
        { name: 'funds', label: '整改资金（元，选填）', placeholder: '如 3000' },
      ],
      button('提交整改', 'hazard.submit', id, 'primary'),
    ),
    view.pendingExtension
      ? note('延期申请待分管领导审批。')
      : form(
          'extend',
          [
            { name: 'days', label: '延期天数', placeholder: '如 5', required: true },
            { name: 'reason', label: '延期原因', required: true },
          ],
          button('申请延期', 'hazard.extend', id),
        ),
    note(`也可发送：整改完成 ${code} <措施> [资金 <金额>]；申请延期 ${code} <天数> <原因>`),
  ];
  switch (audience) {
    case 'handler':
      if (hazard.status === 'reported') {
        const grave = hazard.severity === 'grave';
        const similar = view.similarTo && !hazard.duplicateOfId ? view.similarTo : undefined;
        return [
          form(
            'accept',
            [
              ...(grave || hazard.severity === 'major'
                ? [
                    {
                      name: 'interim',
                      label: grave ? '临时管控措施（重大隐患必填）' : '临时管控措施',
                      placeholder: '整改完成前的防范措施，如：设置围挡、专人值守',
                      required: grave,
                      multiline: true,
                    },
                  ]
                : []),
              { name: 'deadline', label: '整改期限', placeholder: '不填按规定期限；可提前，如 2026-12-31' },
            ],
            button('受理', 'hazard.accept', id, 'primary'),
          ),
          ...(similar
            ? [row(button(`与 ${similar.code} 重复`, 'hazard.duplicate', { ...id, of: String(similar.id) }))]
            : []),
          assignForm(id),
          form(
            'reject',
            [
              {
                name: 'reason',
                label: '驳回原因',
                placeholder: '如：不属于隐患 / 与 YH-… 重复',
                required: true,
              },
            ],
            button('驳回', 'hazard.reject', id, 'danger'),
          ),
          note(
            `也可发送：受理 ${code}${grave ? ' 措施 <临时管控措施>' : ''} [期限 <日期>]；驳回 ${code} <原因>；指派 ${code} @整改人`,
          ),
        ];
      }
      return underRectification ? [assignForm(id), ...rectify] : [];
    case 'rectifier':
      return underRectification ? rectify : [];
    case 'reviewer':
      return hazard.status === 'pending_review'
        ? [
            form(
              'pass',
              [{ name: 'opinion', label: '复查意见（选填）', placeholder: '如：已按要求整改，符合要求' }],
              button('复查通过，销号', 'hazard.pass', id, 'primary'),
            ),
            form(
              'review',
              [{ name: 'reason', label: '不通过原因', required: true }],
              button('复查不通过', 'hazard.fail', id, 'danger'),
            ),
            note(`也可发送：复查通过 ${code} [复查意见]；复查不通过 ${code} <原因>`),
          ]
        : [];
    case 'approver':
      return view.pendingExtension && underRectification
        ? [
            row(
              button('批准延期', 'hazard.extension', { ...id, decision: 'approve' }, 'primary'),
              button('不批准', 'hazard.extension', { ...id, decision: 'deny' }, 'danger'),
            ),
            note(`也可发送：批准延期 ${code}；不批准延期 ${code}`),
          ]
        : [];
    case 'leader':
      return !hazard.listed && hazard.status !== 'closed' && hazard.status !== 'rejected'
        ? [
            form(
              'list',
              [
                { name: 'matter', label: '督办事项', required: true },
                { name: 'deadline', label: '督办期限', placeholder: '如 2026-12-31', required: true },
              ],
              button('挂牌督办', 'hazard.list', id, 'danger'),
            ),
            note(`也可发送：挂牌督办 ${code} <事项> 截止 <日期>`),
          ]
        : [];
    case 'complete': {
      if (hazard.status === 'closed' || hazard.status === 'rejected') return [];
      const missing: (Block | false)[] = [];
      if (!hazard.severity) {
        missing.push(
          row(
            button('一般', 'hazard.complete', { ...id, severity: 'general' }),
            button('较大', 'hazard.complete', { ...id, severity: 'major' }),
            button('重大', 'hazard.complete', { ...id, severity: 'grave' }, 'danger'),
          ),
        );
      }
      if (!hazard.place || !hazard.categoryId) {
        missing.push(
          form(
            'complete',
            [
              ...(!hazard.place
                ? [{ name: 'place', label: '隐患地点', placeholder: '如：教学楼三楼东侧', required: true }]
                : []),
              ...(!hazard.categoryId
                ? [{ name: 'category', label: '隐患类别', placeholder: '如：消防、食品卫生' }]
                : []),
            ],
            button('补充', 'hazard.complete', id, 'primary'),
          ),
        );
      }
      if (missing.length > 0)
        missing.push(note(`也可发送：补充 ${code} 地点 <地点> 程度 一般|较大|重大 类别 <类别>`));
      return missing;
    }
    case 'public':
      return [hazard.status === 'reported' && note('已通知责任处室负责人受理。')];
    case 'bureau':
      return [
        row(button('查看最新情况', BUREAU_OPEN_ACTION, id, 'primary')),
        note(
          `也可发送：隐患 ${code}${
            hazard.status === 'closed' || hazard.status === 'rejected'
              ? ''
              : `；挂牌督办 ${code} <事项> 截止 <日期>（局领导、领导小组办公室）`
          }`,
        ),
      ];
  }
}

/**
 * What is wrong when a 挂牌督办's 督办期限 comes before the rectification deadline `deadline` (the current
 * one, or the one an extension would set): the listing would fall due with the work still allowed to run.
 */
export function listingConflict(
  hazard: HazardView['hazard'],
  deadline: Date | null | undefined,
  timeZone: string,
): string | undefined {
  if (!hazard.listed || !hazard.listedDeadline || !deadline || deadline <= hazard.listedDeadline) return;
  return `督办期限（${formatDateTime(hazard.listedDeadline, timeZone)}）早于整改期限（${formatDateTime(deadline, timeZone)}）`;
}

export function hazardCard(
  view: HazardView,
  timeZone: string,
  audience: HazardAudience,
  now = new Date(),
): Card {
  const { hazard } = view;
  const at = (date: Date | null | undefined) => (date ? formatDateTime(date, timeZone) : undefined);
  const overdue =
    hazard.deadline && hazard.deadline < now && hazard.status !== 'closed' && hazard.status !== 'rejected';
  const listing = hazard.listed ? `【${view.listedByLevelAbove ?? ''}挂牌督办】` : '';
  const lead =
    audience === 'complete'
      ? '请补充隐患信息 '
      : audience === 'bureau'
        ? `${view.tenantName} ${hazard.severity === 'grave' ? '重大隐患' : '隐患'} `
        : '隐患 ';
  const title = `${lead}${hazard.code}${listing}`;
  const tone: Tone = overdue || hazard.severity === 'grave' || hazard.listed ? 'red' : TONE[hazard.status];
  const extension = extensionBlocks(view, at);
  return card(title, tone, [
    ...(audience === 'approver' ? extension : []),
    fields([
      ['学校', audience === 'bureau' ? view.tenantName : undefined],
      ['隐患描述', hazard.description],
      ['地点', hazard.place ?? '未填写'],
      ['类别', view.categoryName ?? (hazard.categoryId ? undefined : '未识别（已转安全办公室）')],
      ['严重程度', hazard.severity ? SEVERITY_LABEL[hazard.severity] : '未注明'],
      ['责任处室', view.unitName],
      ['上报人', view.reporterOutside ? `${view.reporterName}（外部人员）` : view.reporterName],
      ['上报时间', at(hazard.createdAt)],
      ['状态', STATUS_LABEL[hazard.status]],
      ['受理人', view.acceptedByName && `${view.acceptedByName}（${at(hazard.acceptedAt)}）`],
      ['整改责任人', view.rectifierName],
      [
        '整改期限',
        hazard.deadline &&
          `${withEstimate(at(hazard.deadline), hazard.deadlineEstimated)}${overdue ? '（已超期）' : ''}`,
      ],
      ['临时管控措施', hazard.interimMeasures],
      ['整改措施', hazard.measures],
      ['整改资金', hazard.rectificationFunds === null ? undefined : fundsText(hazard.rectificationFunds)],
      ['复查', view.reviewedByName && `${view.reviewedByName}（${at(hazard.reviewedAt)}）`],
      ['驳回原因', view.duplicateOf ? undefined : hazard.rejectReason],
      ['重复上报', view.duplicateOf && `已并入 ${view.duplicateOf.code}`],
      [
        '可能重复',
        !hazard.duplicateOfId && hazard.status === 'reported' && view.similarTo
          ? `${view.similarTo.code}：${view.similarTo.description}`
          : undefined,
      ],
      ['另有重复上报', view.duplicateCodes.length > 0 ? view.duplicateCodes.join('、') : undefined],
    ]),
    hazard.listed &&
      fields([
        ['督办事项', hazard.listedMatter],
        ['督办单位', view.listedUnitName],
        // The approver's card has it beside the request already.
        [
          '督办期限',
          audience === 'approver' && view.pendingExtension ? undefined : at(hazard.listedDeadline),
        ],
        ['督办人', view.listedByName],
      ]),
    photosBlock(view.photos),
    ...conflictNotes(view, timeZone),
    ...(audience === 'approver' ? [] : extension),
    progressBlock(view, timeZone),
    divider(),
    ...actionsFor(view, audience),
  ]);
}

/** Re-renders every audience of a hazard; what `ctx.refresh` needs. */
export const hazardRenderer = (view: HazardView, timeZone: string, now: Date) => (audience: string) =>
  (HAZARD_AUDIENCES as readonly string[]).includes(audience)
    ? hazardCard(view, timeZone, audience as HazardAudience, now)
    : undefined;

function conflictNotes(view: HazardView, timeZone: string): Block[] {
  const { hazard, pendingExtension } = view;
  const now = listingConflict(hazard, hazard.deadline, timeZone);
  const extended = pendingExtension && listingConflict(hazard, pendingExtension.newDeadline, timeZone);
  return [
    ...(now ? [note(`⚠ ${now}，请调整整改期限或督办期限。`)] : []),
    ...(extended && !now ? [note(`⚠ 若批准延期，${extended}。`)] : []),
  ];
}

/** A hazard's card led by the reason it is sent again (a reminder or an escalation step). */
export const hazardReminderCard = (
  view: HazardView,
  timeZone: string,
  audience: HazardAudience,
  now: Date,
  message: string,
): Card => {
  const value = hazardCard(view, timeZone, audience, now);
  return { ...value, title: `【提醒】${value.title}`, blocks: [note(message), ...value.blocks] };
};
