// The bot's features, composed into one router. Every channel uses this same router.
import { Router } from '../bot/core/router.ts';
import { acceptHazard, attachFollowUpPhotos, reportHazard } from './hazards.ts';
import { showHelp, unknownInput } from './help.ts';

export function createRouter(): Router {
  const router = new Router();
  router
    .command({
      names: ['报隐患', '/report'],
      usage: '报隐患 <隐患情况>',
      summary: '上报安全隐患，可随后补发照片',
      handler: reportHazard,
    })
    .command({ names: ['帮助', '/help'], usage: '帮助', summary: '查看可用命令', handler: showHelp(router) })
    .attachments(attachFollowUpPhotos)
    .action('hazard.accept', acceptHazard)
    .fallback(unknownInput(router));
  return router;
}
