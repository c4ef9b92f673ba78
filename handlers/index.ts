// The bot's features, composed into one router. Every channel uses this same router.
import { Router } from '../bot/core/router.ts';
import { myDuties, myTodo } from './duties.ts';
import { attachFollowUp } from './follow-up.ts';
import { registerHazards } from './hazards/index.ts';
import { showHelp, unknownInput } from './help.ts';
import { registerLetters } from './letters.ts';
import { recordButton, recordDuty } from './obligations.ts';
import { registerRounds } from './rounds.ts';
import { registerShifts } from './shifts.ts';
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
    .action('obligation.record', recordButton)
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
