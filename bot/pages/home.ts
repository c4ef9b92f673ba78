// The landing page at `/`: what this service is and how it is running.
import { html } from 'hono/html';

const CHANNEL_NAMES: Record<string, string> = {
  feishu: '飞书',
  wecom: '企业微信',
  wechaty: '微信群（Wechaty）',
  console: '网页控制台',
};

export function homePage(state: { demo: boolean; channels: string[] }) {
  return html`<!doctype html>
<html lang="zh-CN">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>一岗双责安全助手</title>
    <style>
      body { font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; max-width: 46rem; margin: 3rem auto; padding: 0 1rem; color: #1f2329; }
      .banner { background: #fff7e8; border: 1px solid #ffd591; padding: .75rem 1rem; border-radius: 6px; }
      code { background: #f2f3f5; padding: .1rem .3rem; border-radius: 4px; }
    </style>
  </head>
  <body>
    <h1>一岗双责安全助手</h1>
    <p>学校安全“一岗双责”责任制的聊天机器人：在群里上报隐患，按类别分派到责任处室，受理、整改、复查、销号全程留痕。</p>
    ${state.demo ? html`<p class="banner">当前为<strong>演示模式</strong>：未配置任何平台凭据，已载入示例学校。配置 <code>FEISHU_APP_ID</code> 等环境变量后即可接入飞书。</p>` : ''}
    <p>已开通渠道：${state.channels.map((channel) => CHANNEL_NAMES[channel] ?? channel).join('、')}</p>
    <p>健康检查：<a href="/healthz"><code>/healthz</code></a></p>
  </body>
</html>`;
}
