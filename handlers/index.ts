// The bot's features, composed into one router. Every channel uses this same router.
import { Router } from '../bot/core/router.ts';
import { myDuties, myTodo } from './duties.ts';
import {
  attachFollowUpPhotos,
  extensionCommand,
  hazardButton,
  hazardCommand,
  reportHazard,
  showHazard,
  takeReportOffer,
} from './hazards.ts';
import { showHelp, unknownInput } from './help.ts';
import { hazardLedger } from './ledger.ts';
import { registerLetters } from './letters.ts';
import { recordButton, recordDuty } from './obligations.ts';
import { registerShifts } from './shifts.ts';
import { assignTask, taskButton, taskCommand } from './tasks.ts';
import { capped, TEXT_LIMITS } from './text-limits.ts';

export function createRouter(): Router {
  const router = new Router().guardText((text) => capped(text.trim(), TEXT_LIMITS.message, '一条消息'));
  const hazardStep = (
    names: string[],
    usage: string,
    summary: string,
    action: Parameters<typeof hazardCommand>[0],
  ) => router.command({ names, usage, summary, handler: hazardCommand(action, usage) });
  router.command({
    names: ['报隐患', '/report'],
    usage: '报隐患 <隐患情况>',
    summary: '上报安全隐患（可写地点、一般/较大/重大），可随后补发照片',
    handler: reportHazard,
  });
  hazardStep(
    ['补充', '/complete'],
    '补充 YH-… 地点 <地点> 程度 <一般|较大|重大>',
    '补充隐患的地点、程度或类别',
    'complete',
  );
  router.command({
    names: ['隐患台账', '/ledger'],
    usage: '隐患台账 [超期|挂牌|整改中|全部] [关键词]',
    summary: '查看隐患台账，可按关键词查找',
    handler: hazardLedger,
  });
  router.command({
    names: ['隐患', '/hazard'],
    usage: '隐患 YH-…',
    summary: '查看一条隐患的当前状态',
    handler: showHazard,
  });
  hazardStep(
    ['受理', '/accept'],
    '受理 YH-… [措施 <临时管控措施>] [期限 <日期>]',
    '受理隐患（责任处室负责人）；重大隐患须写临时管控措施，期限可短于规定期限',
    'accept',
  );
  hazardStep(['驳回', '/reject'], '驳回 YH-… <原因>', '驳回：不属于隐患或重复', 'reject');
  hazardStep(['指派', '/assign'], '指派 YH-… @整改人', '指定整改责任人（@ 或写姓名、人员编号）', 'assign');
  hazardStep(['整改完成', '/rectified'], '整改完成 YH-… <整改措施>', '提交整改，等待复查', 'submit');
  hazardStep(['申请延期', '/extend'], '申请延期 YH-… <天数> <原因>', '申请延长整改期限', 'requestExtension');
  router.command({
    names: ['批准延期', '/approve-extension'],
    usage: '批准延期 YH-…',
    summary: '批准延期（分管领导）',
    handler: extensionCommand('approve'),
  });
  router.command({
    names: ['不批准延期', '/deny-extension'],
    usage: '不批准延期 YH-…',
    summary: '不批准延期（分管领导）',
    handler: extensionCommand('deny'),
  });
  hazardStep(['复查通过', '/pass'], '复查通过 YH-…', '复查通过并销号（非整改人）', 'pass');
  hazardStep(['复查不通过', '/fail'], '复查不通过 YH-… <原因>', '复查不通过，退回整改', 'fail');
  hazardStep(['挂牌督办', '/list'], '挂牌督办 YH-… <事项> 截止 <日期>', '挂牌督办（学校领导）', 'list');
  registerLetters(router);
  registerShifts(router);
  router
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
    .attachments(attachFollowUpPhotos)
    .action('hazard.accept', hazardButton('accept'))
    .action('hazard.reject', hazardButton('reject'))
    .action('hazard.assign', hazardButton('assign'))
    .action('hazard.submit', hazardButton('submit'))
    .action('hazard.extend', hazardButton('requestExtension'))
    .action('hazard.extension', hazardButton('decideExtension'))
    .action('hazard.pass', hazardButton('pass'))
    .action('hazard.fail', hazardButton('fail'))
    .action('hazard.list', hazardButton('list'))
    .action('hazard.complete', hazardButton('complete'))
    .action('hazard.duplicate', hazardButton('duplicate'))
    .action('hazard.offer', takeReportOffer)
    .fallback(unknownInput(router));
  return router;
}
