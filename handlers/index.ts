// The bot's features, composed into one router. Every channel uses this same router.
import { Router } from '../bot/core/router.ts';
import { accidentRegister } from './accidents.ts';
import { myDuties, myTodo } from './duties.ts';
import { attachFollowUp } from './follow-up.ts';
import { registerHazards } from './hazards/index.ts';
import { showHelp, unknownInput } from './help.ts';
import { registerLetters } from './letters.ts';
import { NOTICE_USAGE, noticeCommand, noticeProgress } from './level-flows/notices.ts';
import { recordButton, recordDuty } from './obligations.ts';
import { registerRounds } from './rounds.ts';
import { registerShifts } from './shifts.ts';
import { acknowledgeButton, supervisionReport } from './submissions.ts';
import { assignTask, taskButton, taskCommand } from './tasks.ts';
import { capped, TEXT_LIMITS } from './text-limits.ts';

export function createRouter(): Router {
  const router = new Router().guardText((text) => capped(text.trim(), TEXT_LIMITS.message, '一条消息'));
  registerHazards(router);
  registerLetters(router);
  registerShifts(router);
  registerRounds(router);
  router
    .attachments(attachFollowUp)
    .command({
      names: ['我的职责', '/duties'],
      usage: '我的职责',
      summary: '我的岗位、业务与安全职责、本期进度',
      handler: myDuties,
    })
    .command({
      names: ['我的待办', '/todo'],
      usage: '我的待办',
      summary: '我的隐患、任务和值班',
      handler: myTodo,
    })
    .command({
      names: ['事故登记', '/accidents'],
      usage: '事故登记 [年度]',
      summary: '查看本年度事故/事件登记（受伤人员和处置情况仅办公室和领导可见）',
      handler: accidentRegister,
    })
    .command({
      names: ['记录', '/record'],
      usage: '记录 会议|检查|督查|演练 <说明>',
      summary: '记录已完成的常规职责',
      handler: recordDuty,
    })
    .command({
      names: ['派任务', '/assign-task'],
      usage: '派任务 @人|@处室 <内容> 截止 <日期>',
      summary: '派发任务（学校领导、安全办公室）',
      handler: assignTask,
    })
    .command({
      names: ['收到', '/ack'],
      usage: '收到 RW-…',
      summary: '确认收到任务',
      handler: taskCommand('ack'),
    })
    .command({
      names: ['完成', '/done'],
      usage: '完成 RW-… <完成情况>',
      summary: '报告任务完成',
      handler: taskCommand('done'),
    })
    .command({
      names: ['督查报告', '/supervision-report'],
      usage: '督查报告 [2026-Q4]｜督查报告 提交 [修改后的正文]',
      summary: '分包学校的季度督查报告：查看草稿、提交办公室',
      handler: supervisionReport,
    })
    .command({
      names: ['整改通知', '/rectification-notice'],
      usage: NOTICE_USAGE.rectification_notice,
      summary: '向所辖学校第一责任人下发整改通知书（教育局领导、领导小组办公室）',
      handler: noticeCommand('rectification_notice'),
    })
    .command({
      names: ['约谈整改', '/interview-followup'],
      usage: NOTICE_USAGE.interview_followup,
      summary: '约谈后要求所辖学校限期书面报告整改（教育局领导、领导小组办公室）',
      handler: noticeCommand('interview_followup'),
    })
    .command({
      names: ['通知进度', '/notices'],
      usage: '通知进度',
      summary: '查看下发各校的整改通知书、约谈整改办理情况',
      handler: noticeProgress,
    })
    .action('obligation.record', recordButton)
    .action('submission.ack', acknowledgeButton)
    .action('task.ack', taskButton('ack'))
    .action('task.done', taskButton('done'))
    .command({
      names: ['帮助', '/help'],
      usage: '帮助 [命令]',
      summary: '查看我常用的命令，或一条命令的用法',
      handler: showHelp(router),
    })
    .fallback(unknownInput(router));
  return router;
}
