// The hazard workflow as a table of steps (排查 → 记录 → 整改 → 复查 → 销号). Each entry is one step: its
// button, its chat commands (usage and summary as 帮助 lists them), how its input is read from a
// command's text or a card's form, its effect (the row's changes, the trail note, the toast) and its
// follow-ups. Who may take it and from which state to which is the pure half, keyed by the same action,
// in handlers/hazard-workflow.ts (RULES, ROLE_NEEDED, ACTION_LABEL). The buttons, the commands and the
// console's steps are all derived from this table (./index.ts); ./take.ts runs one step.
import type { ActionContext, MessageContext } from '../../bot/core/context.ts';
import { trailActor } from '../../bot/core/context.ts';
import { Refusal } from '../../bot/core/errors.ts';
import { listingConflict } from '../../cards/hazard.ts';
import { extensionApprovers } from '../../db/queries/hazard-roles.ts';
import {
  appendHazardEvent,
  categoryRules,
  copyHazardPhotos,
  decideExtensionRow,
  type Hazard,
  type HazardChanges,
  hazardById,
  insertExtension,
  lockForMerge,
  markSimilar,
  pendingExtension,
} from '../../db/queries/hazards.ts';
import { rowId } from '../../db/queries/ids.ts';
import { officeStaff, type Person, personById } from '../../db/queries/org.ts';
import { mentionedMember } from '../colleagues.ts';
import { computeDeadline, parseDateInput, pastDeadline, withEstimate, workCalendar } from '../deadlines.ts';
import { fundsText, parseFunds, parseSeverity, SEVERITY_LABEL, type Severity } from '../hazard-rules.ts';
import type { HazardAction } from '../hazard-workflow.ts';
import { rowOrRefuse } from '../row-of-button.ts';
import { tenantSettings } from '../settings.ts';
import { capped, TEXT_LIMITS } from '../text-limits.ts';
import { formatDateTime } from '../time.ts';
import {
  handlersOf,
  notifyNow,
  refreshHazard,
  type StepContext,
  tell,
  tellLeadersOfGrave,
  tellLister,
} from './follow-ups.ts';
import {
  acceptFieldsOf,
  type Choice,
  duplicateNamedIn,
  extensionFieldsOf,
  fieldsOf,
  listingFieldsOf,
  rectifierNamed,
  type StepInput,
  submitFieldsOf,
} from './inputs.ts';
import { likelyDuplicate, routeOf, similarOpenHazard } from './report.ts';

/** The refusal for a button or form whose hazard is gone (or was never the tenant's). */
export const HAZARD_GONE = '找不到这条隐患，可能已被删除。';

/** A chat command that takes a step: `<name> YH-… <rest>`. */
export interface StepCommand {
  names: string[];
  usage: string;
  summary: string;
  /** The example in the refusal when no hazard code is written; the usage unless told. */
  example?: string;
  /** What the command gives the step instead of reading its text (批准延期 / 不批准延期). */
  input?: StepInput;
  /** Whether the answer is followed by the hazard's card; true unless told. */
  card?: boolean;
}

/** What a step does: the row's changes, the trail's note and evidence, the toast, and what follows. */
export interface Effect {
  changes: HazardChanges;
  note?: string;
  evidence?: Record<string, unknown>;
  toast: string;
  /** Once the row is written (and the step is on the trail): tell people, merge, refresh. */
  after?: (fresh: Hazard) => Promise<void>;
}

export interface Step {
  /** The action name of the step's button on hazard cards (cards/hazard.ts). */
  button: string;
  commands: StepCommand[];
  /** The reporter may also take it while the hazard is neither closed nor rejected. */
  reporterMay?: boolean;
  /** Its deadline may now pass a listing's 督办期限: the actor and the lister are warned. */
  checksListing?: boolean;
  /** The input of a command, from the text after the hazard code; none unless told. */
  fromText?: (ctx: MessageContext, hazard: Hazard, rest: string) => Promise<StepInput | Choice>;
  /** What a button gives besides the card's form (formInput); nothing unless told. */
  fromButton?: (ctx: ActionContext, hazard: Hazard) => Promise<StepInput | Choice>;
  /** Checks the input, refusing with the reason, and says what the step changes. */
  effect: (ctx: StepContext, hazard: Hazard, input: StepInput, member: () => Person) => Promise<Effect>;
}

const need = (value: string | undefined, what: string, command: string, max?: number): string => {
  const trimmed = value?.trim();
  if (!trimmed) throw new Refusal(`请写明${what}。按钮不便时可发送：${command}`);
  return max === undefined ? trimmed : capped(trimmed, max, what);
};

const settingsOf = (ctx: StepContext) => tenantSettings(ctx.tenant.settings);

/** The table; the router takes the commands and buttons in this order. */
export const STEPS: Record<HazardAction, Step> = {
  accept: {
    button: 'hazard.accept',
    commands: [
      {
        names: ['受理', '/accept'],
        usage: '受理 YH-… [措施 <临时管控措施>] [期限 <日期>]',
        summary: '受理隐患（责任处室负责人）；重大隐患须写临时管控措施，期限可短于规定期限',
      },
    ],
    checksListing: true,
    fromText: async (_ctx, _hazard, rest) => acceptFieldsOf(rest),
    async effect(ctx, hazard, input, member) {
      const { tenant, now } = ctx;
      const code = hazard.code;
      const settings = settingsOf(ctx);
      const severity: Severity = hazard.severity ?? 'general';
      const usage = `受理 ${code} 措施 <临时管控措施> 期限 <日期>`;
      const interim = input.interim?.trim()
        ? capped(input.interim.trim(), TEXT_LIMITS.measures, '临时管控措施')
        : severity === 'grave'
          ? need(undefined, '重大隐患的临时管控措施（整改完成前如何防范，如：设置围挡、专人值守）', usage)
          : undefined;
      const { at: standard, estimated } = computeDeadline(
        now,
        settings.hazard_deadlines[severity],
        tenant.timezone,
        workCalendar(settings.calendar),
      );
      let deadline = standard;
      if (input.deadline?.trim()) {
        const chosen = parseDateInput(input.deadline, tenant.timezone, now);
        if (!chosen) throw new Refusal('整改期限请写成日期，如 2026-12-31 或 12月31日。');
        const past = pastDeadline('整改期限', chosen, now, tenant.timezone);
        if (past) throw new Refusal(past);
        if (chosen > standard) {
          throw new Refusal(
            `整改期限不能晚于${SEVERITY_LABEL[severity]}隐患的规定期限 ${formatDateTime(standard, tenant.timezone)}；需要更长时间请受理后申请延期。`,
          );
        }
        deadline = chosen;
      }
      const shown = withEstimate(
        formatDateTime(deadline, tenant.timezone),
        deadline === standard && estimated,
      );
      return {
        changes: {
          acceptedById: member().id,
          acceptedAt: now,
          rectifierId: hazard.rectifierId ?? member().id,
          deadline,
          // A date typed by the head is theirs, not an estimate.
          deadlineEstimated: deadline === standard && estimated,
          interimMeasures: interim ?? null,
        },
        note: [
          `整改期限 ${shown}${deadline < standard ? `（提前于规定期限 ${formatDateTime(standard, tenant.timezone)}）` : ''}${hazard.severity ? '' : '（严重程度未注明，按一般隐患计）'}`,
          interim && `临时管控措施：${interim}`,
        ]
          .filter(Boolean)
          .join('；'),
        toast: `已受理 ${code}，整改期限 ${shown}`,
      };
    },
  },

  reject: {
    button: 'hazard.reject',
    commands: [{ names: ['驳回', '/reject'], usage: '驳回 YH-… <原因>', summary: '驳回：不属于隐患或重复' }],
    // A reason naming the hazard it repeats (与 YH-… 重复) makes it 标记为重复 (the duplicate step).
    fromText: async (ctx, _hazard, rest) => ({
      reason: rest,
      duplicateOf: await duplicateNamedIn(ctx, rest),
    }),
    fromButton: async (ctx) => ({ duplicateOf: await duplicateNamedIn(ctx, ctx.event.form?.reason) }),
    async effect(ctx, hazard, input) {
      const code = hazard.code;
      const reason = need(input.reason, '驳回原因', `驳回 ${code} <原因>`, TEXT_LIMITS.reason);
      return {
        changes: { rejectReason: reason, listed: false },
        note: reason,
        toast: `已驳回 ${code}`,
        after: async () => tell(ctx, hazard.reporterId, `您上报的隐患 ${code} 已被驳回：${reason}`),
      };
    },
  },

  assign: {
    button: 'hazard.assign',
    commands: [
      {
        names: ['指派', '/assign'],
        usage: '指派 YH-… @整改人',
        summary: '指定整改责任人（@ 或写姓名、人员编号）',
      },
    ],
    async fromText(ctx, hazard, rest) {
      const mentioned = ctx.event.mentions[0];
      const chosen = mentioned
        ? await mentionedMember(ctx, mentioned)
        : await rectifierNamed(ctx, hazard, rest);
      if (mentioned && !chosen) {
        throw new Refusal(`${mentioned.name ?? '被 @ 的人'}不在本单位的人员名单上。`);
      }
      return typeof chosen === 'string' ? chosen : { rectifier: chosen };
    },
    /** The card of namesakes carries the chosen person; a form carries a typed name. */
    async fromButton(ctx, hazard) {
      const chosen = rowId(ctx.event.args.person);
      if (chosen) {
        const rectifier = await personById(ctx.db, ctx.tenant.id, chosen);
        if (!rectifier || rectifier.isOutside || rectifier.archived) {
          throw new Refusal('所选人员已不在本单位的人员名单上，请重新指派。');
        }
        return { rectifier };
      }
      const named = await rectifierNamed(ctx, hazard, ctx.event.form?.rectifier);
      return typeof named === 'string' ? named : { rectifier: named };
    },
    async effect(ctx, hazard, input) {
      const code = hazard.code;
      const rectifier = input.rectifier;
      if (!rectifier) throw new Refusal(`请指明整改人（姓名或人员编号），例如：指派 ${code} @张三`);
      return {
        changes: { rectifierId: rectifier.id },
        note: `整改人：${rectifier.name}`,
        toast: `已指派 ${rectifier.name} 整改 ${code}`,
        after: (fresh) => notifyNow(ctx, [rectifier], fresh, 'rectifier'),
      };
    },
  },

  submit: {
    button: 'hazard.submit',
    commands: [
      {
        names: ['整改完成', '/rectified'],
        usage: '整改完成 YH-… <整改措施> [资金 <金额>]',
        summary: '提交整改，等待复查；可写明整改资金（元）',
      },
    ],
    fromText: async (_ctx, _hazard, rest) => submitFieldsOf(rest),
    async effect(ctx, hazard, input, member) {
      const code = hazard.code;
      const measures = need(input.measures, '整改措施', `整改完成 ${code} <措施>`, TEXT_LIMITS.measures);
      const written = input.funds?.trim();
      const funds = written ? parseFunds(written) : undefined;
      if (written && funds === undefined)
        throw new Refusal(
          `整改资金“${capped(written, TEXT_LIMITS.place, '整改资金')}”不是有效金额，请写金额（元），如：整改完成 ${code} <措施> 资金 3000`,
        );
      return {
        // A resubmission without an amount keeps the one given before.
        changes: {
          measures,
          rectifiedById: member().id,
          rectifiedAt: ctx.now,
          ...(funds === undefined ? {} : { rectificationFunds: funds }),
        },
        note: funds === undefined ? measures : `${measures}；整改资金 ${fundsText(funds)}`,
        evidence: { measures: input.measures, ...(funds === undefined ? {} : { funds }) },
        toast: `已提交 ${code} 的整改，等待复查`,
        async after(fresh) {
          const inspectors = (await officeStaff(ctx.db, ctx.tenant.id)).filter(
            (person) => person.id !== member().id && person.id !== fresh.rectifierId,
          );
          await notifyNow(ctx, inspectors, fresh, 'reviewer');
        },
      };
    },
  },

  requestExtension: {
    button: 'hazard.extend',
    commands: [
      {
        names: ['申请延期', '/extend'],
        usage: '申请延期 YH-… <天数> <原因>',
        summary: '申请延长整改期限',
      },
    ],
    fromText: async (_ctx, _hazard, rest) => extensionFieldsOf(rest),
    async effect(ctx, hazard, input, member) {
      const { db, tenant, now } = ctx;
      const code = hazard.code;
      const settings = settingsOf(ctx);
      const days = Number(need(input.days, '延期天数', `申请延期 ${code} <天数> <原因>`));
      if (!Number.isInteger(days) || days < 1 || days > 90)
        throw new Refusal('延期天数应为 1 到 90 的整数。');
      const reason = need(input.reason, '延期原因', `申请延期 ${code} <天数> <原因>`, TEXT_LIMITS.reason);
      const base = hazard.deadline && hazard.deadline > now ? hazard.deadline : now;
      const spec = settings.hazard_deadlines[hazard.severity ?? 'general'];
      const { at: newDeadline, estimated } = computeDeadline(
        base,
        { days, unit: spec.unit },
        tenant.timezone,
        workCalendar(settings.calendar),
      );
      if (await pendingExtension(db, hazard.id)) throw new Refusal(`${code} 已有一个延期申请在等待审批。`);
      await insertExtension(db, {
        tenantId: tenant.id,
        hazardId: hazard.id,
        requestedById: member().id,
        reason,
        days,
        newDeadline,
        newDeadlineEstimated: estimated,
        createdAt: now,
      });
      const conflict = listingConflict(hazard, newDeadline, tenant.timezone);
      const passes = conflict && `申请的延期将超过督办期限：${conflict}`;
      return {
        changes: {},
        note: `申请延期 ${days} 天：${reason}`,
        toast: `已提交延期申请，等待分管领导审批${passes ? `；注意：${passes}` : ''}`,
        async after(fresh) {
          await notifyNow(ctx, await extensionApprovers(db, fresh), fresh, 'approver');
          const request = await pendingExtension(db, fresh.id);
          if (passes) await tellLister(ctx, fresh, `extension:${request!.id}`, passes);
        },
      };
    },
  },

  decideExtension: {
    button: 'hazard.extension',
    commands: (['approve', 'deny'] as const).map((decision) => {
      const word = decision === 'approve' ? '批准' : '不批准';
      return {
        names: [`${word}延期`, decision === 'approve' ? '/approve-extension' : '/deny-extension'],
        usage: `${word}延期 YH-…`,
        summary: `${word}延期（分管领导）`,
        example: `${word}延期 YH-2026-0001`,
        input: { decision },
        card: false,
      };
    }),
    checksListing: true,
    async effect(ctx, hazard, input, member) {
      const { db, tenant, now } = ctx;
      const code = hazard.code;
      const pending = await pendingExtension(db, hazard.id);
      if (!pending) throw new Refusal(`${code} 没有待审批的延期申请。`);
      const approve = input.decision === 'approve';
      await decideExtensionRow(db, pending.id, {
        status: approve ? 'approved' : 'denied',
        decidedById: member().id,
        decidedAt: now,
      });
      const extended = withEstimate(
        formatDateTime(pending.newDeadline, tenant.timezone),
        pending.newDeadlineEstimated,
      );
      return {
        changes: approve
          ? { deadline: pending.newDeadline, deadlineEstimated: pending.newDeadlineEstimated }
          : {},
        note: approve ? `批准延期至 ${extended}` : '不批准延期',
        toast: approve ? `已批准 ${code} 延期` : `已不批准 ${code} 延期`,
        after: async () =>
          tell(
            ctx,
            pending.requestedById,
            `隐患 ${code} 的延期申请${approve ? `已批准，新期限 ${extended}` : '未获批准，请按原期限整改'}。`,
          ),
      };
    },
  },

  pass: {
    button: 'hazard.pass',
    commands: [
      {
        names: ['复查通过', '/pass'],
        usage: '复查通过 YH-… [复查意见]',
        summary: '复查通过并销号（非整改人）',
      },
    ],
    fromText: async (_ctx, _hazard, rest) => ({ opinion: rest }),
    async effect(ctx, hazard, input, member) {
      const code = hazard.code;
      const opinion = input.opinion?.trim()
        ? capped(input.opinion.trim(), TEXT_LIMITS.reason, '复查意见')
        : undefined;
      return {
        changes: { reviewedById: member().id, reviewedAt: ctx.now, closedAt: ctx.now },
        note: opinion,
        toast: `${code} 复查通过，已销号`,
        after: async () =>
          tell(ctx, hazard.reporterId, `您上报的隐患 ${code} 已整改完毕，复查通过并销号。谢谢！`),
      };
    },
  },

  fail: {
    button: 'hazard.fail',
    commands: [
      { names: ['复查不通过', '/fail'], usage: '复查不通过 YH-… <原因>', summary: '复查不通过，退回整改' },
    ],
    fromText: async (_ctx, _hazard, rest) => ({ reason: rest }),
    async effect(ctx, hazard, input, member) {
      const code = hazard.code;
      const reason = need(input.reason, '不通过的原因', `复查不通过 ${code} <原因>`, TEXT_LIMITS.reason);
      return {
        changes: { reviewedById: member().id, reviewedAt: ctx.now },
        note: reason,
        toast: `${code} 复查不通过，已退回整改`,
        async after(fresh) {
          if (fresh.rectifierId)
            tell(ctx, fresh.rectifierId, `隐患 ${code} 复查不通过，请继续整改：${reason}`);
        },
      };
    },
  },

  list: {
    button: 'hazard.list',
    commands: [
      {
        names: ['挂牌督办', '/list'],
        usage: '挂牌督办 YH-… <事项> 截止 <日期>',
        summary: '挂牌督办（学校领导）',
      },
    ],
    checksListing: true,
    fromText: async (_ctx, _hazard, rest) => listingFieldsOf(rest),
    async effect(ctx, hazard, input) {
      const { tenant, now } = ctx;
      const code = hazard.code;
      // A listing by the level above is the level above's to change (issue 19).
      if (hazard.listed && hazard.listedByTenantId !== null && hazard.listedByTenantId !== tenant.id) {
        throw new Refusal(`${code} 已由上级挂牌督办，督办事项和期限由上级确定，请按督办期限完成整改。`);
      }
      const matter = need(
        input.matter,
        '督办事项',
        `挂牌督办 ${code} <事项> 截止 <日期>`,
        TEXT_LIMITS.matter,
      );
      const date = parseDateInput(
        need(input.deadline, '督办期限', `挂牌督办 ${code} <事项> 截止 <日期>`),
        tenant.timezone,
        now,
      );
      if (!date) throw new Refusal('督办期限请写成日期，如 2026-12-31 或 12月31日。');
      const past = pastDeadline('督办期限', date, now, tenant.timezone);
      if (past) throw new Refusal(past);
      return {
        changes: {
          listed: true,
          listedMatter: matter,
          listedUnitId: hazard.listedUnitId ?? hazard.unitId,
          listedDeadline: date,
          listedById: ctx.actor?.id ?? null,
          listedByAccountId: ctx.account?.id ?? null,
          listedByTenantId: null,
          listedAt: now,
        },
        note: `${matter}，期限 ${formatDateTime(date, tenant.timezone)}`,
        toast: `${code} 已挂牌督办`,
        after: async (fresh) => notifyNow(ctx, await handlersOf(ctx, fresh), fresh, 'handler'),
      };
    },
  },

  complete: {
    button: 'hazard.complete',
    commands: [
      {
        names: ['补充', '/complete'],
        usage: '补充 YH-… 地点 <地点> 程度 <一般|较大|重大>',
        summary: '补充隐患的地点、程度或类别',
      },
    ],
    reporterMay: true,
    fromText: async (_ctx, _hazard, rest) => fieldsOf(rest),
    async effect(ctx, hazard, input) {
      const code = hazard.code;
      const severity = input.severity ? parseSeverity(input.severity) : undefined;
      if (input.severity && !severity) throw new Refusal('严重程度请选择：一般、较大或重大。');
      const place = input.place?.trim() ? capped(input.place.trim(), TEXT_LIMITS.place, '地点') : undefined;
      let route: ReturnType<typeof routeOf>;
      if (input.category?.trim()) {
        capped(input.category.trim(), TEXT_LIMITS.category, '类别');
        route = routeOf(
          input.category.trim(),
          hazard.description,
          await categoryRules(ctx.db, ctx.tenant.id),
        );
        if (!route) throw new Refusal(`没有找到类别“${input.category.trim()}”。`);
      }
      if (!severity && !place && !route)
        throw new Refusal(`请补充地点、严重程度或类别，例如：补充 ${code} 地点 教学楼三楼 程度 一般`);
      const changes: HazardChanges = {};
      if (severity) changes.severity = severity;
      if (place) changes.place = place;
      if (route && route.categoryId !== hazard.categoryId) {
        changes.categoryId = route.categoryId;
        if (hazard.status === 'reported') changes.unitId = route.unitId;
      }
      return {
        changes,
        note: [
          severity && `严重程度：${SEVERITY_LABEL[severity]}`,
          place && `地点：${place}`,
          route && '类别已补充',
        ]
          .filter(Boolean)
          .join('；'),
        toast: `已补充 ${code}`,
        async after(fresh) {
          // A place or category given now may show it is a report already open.
          if (fresh.status === 'reported' && fresh.similarToId === null && (place || route)) {
            const similar = await similarOpenHazard(ctx, fresh);
            if (similar) {
              await markSimilar(ctx.db, fresh.id, similar.id);
              Object.assign(fresh, { similarToId: similar.id });
              tell(ctx, fresh.reporterId, likelyDuplicate(fresh, similar));
            }
          }
          if (fresh.unitId !== hazard.unitId)
            await notifyNow(ctx, await handlersOf(ctx, fresh), fresh, 'handler');
          if (fresh.severity === 'grave') await tellLeadersOfGrave(ctx, fresh);
        },
      };
    },
  },

  /** Marked a duplicate of another open hazard (a button, or 驳回 with 与 YH-… 重复). */
  duplicate: {
    button: 'hazard.duplicate',
    commands: [],
    fromButton: async (ctx) => ({
      duplicateOf: await rowOrRefuse(ctx, ctx.event.args.of, hazardById, HAZARD_GONE),
    }),
    async effect(ctx, hazard, input) {
      const { db, tenant, now } = ctx;
      const code = hazard.code;
      const original = input.duplicateOf;
      if (!original) throw new Refusal(`请写明与哪条隐患重复，例如：驳回 ${code} 与 YH-… 重复`);
      if (original.id === hazard.id) throw new Refusal('不能把一条隐患标记为与自己重复。');
      // Both rows are locked, in id order, before either is written, and the original is checked again
      // under the lock: two heads merging two reports into each other at the same moment then queue on
      // the same row instead of each holding the other's (a deadlock on PostgreSQL), and the second finds
      // the first merge done rather than leaving both merged (and neither counted).
      if (!(await lockForMerge(db, hazard.id, original.id))) {
        throw new Refusal(`${original.code} 已被驳回或本身是重复上报，请标记为与原隐患重复。`);
      }
      return {
        changes: { duplicateOfId: original.id, rejectReason: `与 ${original.code} 重复`, listed: false },
        note: `与 ${original.code} 重复，已并入`,
        toast: `已将 ${code} 标记为与 ${original.code} 重复`,
        async after() {
          // The evidence stays with the hazard that is followed up.
          const photos = await copyHazardPhotos(db, hazard.id, original.id);
          await appendHazardEvent(db, {
            tenantId: tenant.id,
            hazardId: original.id,
            ...trailActor(ctx),
            action: 'duplicate-merged',
            note: `重复上报 ${code} 已并入${photos > 0 ? `（照片 ${photos} 张）` : ''}`,
            at: now,
          });
          await tell(
            ctx,
            hazard.reporterId,
            `您上报的隐患 ${code} 与 ${original.code} 为同一隐患，已并入 ${original.code} 跟踪整改。谢谢！`,
          );
          await refreshHazard(ctx, original.id);
        },
      };
    },
  },
};
