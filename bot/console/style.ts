// The console's one stylesheet, served at STYLESHEET_PATH (bot/console/app.ts) and linked from the layout.
// Rules of one page only are scoped by the page's `data-page` (set on <html> by the layout).
import { createHash } from 'node:crypto';
import { TONE_COLOUR } from '../channels/console/render.ts';

const tones = Object.entries(TONE_COLOUR)
  .map(([tone, colour]) => `.card.tone-${tone} { --tone: ${colour}; }`)
  .join('\n');

export const CONSOLE_CSS = `* { box-sizing: border-box; }
html { color: #1f2329; background: #f5f6f7; font-size: 15px; line-height: 1.55; }
body { margin: 0; }
a { color: #245bdb; }
.banner { background: #fff3e0; color: #8a4b00; border-bottom: 1px solid #ffd591; padding: .5rem 1rem; text-align: center; font-weight: 600; }
.top { display: flex; align-items: center; gap: 1.25rem; padding: .6rem 1.25rem; background: #fff; border-bottom: 1px solid #dee0e3; flex-wrap: wrap; }
.top .brand { font-weight: 700; font-size: 1.05rem; color: #1f2329; text-decoration: none; }
.top nav { display: flex; gap: 1rem; flex: 1; flex-wrap: wrap; }
.top nav a { text-decoration: none; color: #4e5969; padding: .2rem 0; border-bottom: 2px solid transparent; }
.top nav a.on { color: #245bdb; border-bottom-color: #245bdb; }
.top .who { color: #646a73; font-size: .9rem; display: flex; gap: .6rem; align-items: center; }
.badge { display: inline-block; min-width: 1.3rem; padding: 0 .35rem; border-radius: 9px; background: #d83931; color: #fff; font-size: .75rem; text-align: center; }
main { max-width: 68rem; margin: 1.25rem auto; padding: 0 1rem; }
h1 { font-size: 1.3rem; margin: 0 0 .75rem; }
.flash { padding: .6rem .9rem; border-radius: 6px; margin-bottom: 1rem; border: 1px solid; }
.flash.success { background: #e8f7e6; border-color: #9fdc96; color: #1c6b13; }
.flash.info { background: #e8f0ff; border-color: #a9c2ff; color: #1d3f99; }
.flash.warning { background: #fff3e0; border-color: #ffd591; color: #8a4b00; }
.flash.error { background: #fdecea; border-color: #f5a7a2; color: #a1231c; }
td.check-ok { color: #1c6b13; }
td.check-warning { color: #8a4b00; font-weight: 600; }
td.check-error { color: #a1231c; font-weight: 600; }
.panel { background: #fff; border: 1px solid #dee0e3; border-radius: 8px; padding: 1rem 1.25rem; margin-bottom: 1rem; }
.btn { font: inherit; border: 1px solid #c9cdd4; background: #fff; color: #1f2329; border-radius: 6px; padding: .3rem .9rem; cursor: pointer; }
.btn:hover { border-color: #245bdb; }
.btn.primary { background: #245bdb; border-color: #245bdb; color: #fff; }
.btn.danger { background: #fff; border-color: #d83931; color: #d83931; }
.btn[disabled] { opacity: .5; cursor: default; }
input[type=text], input[type=password], input[type=date], select, textarea { font: inherit; padding: .35rem .5rem; border: 1px solid #c9cdd4; border-radius: 6px; background: #fff; }
textarea { resize: vertical; }
.muted { color: #8f959e; font-size: .88rem; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { border: 1px solid #dee0e3; padding: .4rem .6rem; text-align: left; vertical-align: top; font-size: .9rem; }
th { background: #f2f3f5; white-space: nowrap; }
.inline { display: inline; }
.stack { display: grid; gap: .75rem; max-width: 24rem; }
.stack label { display: grid; gap: .25rem; }
/* chat */
.chat { display: grid; grid-template-columns: 17rem 1fr; gap: 1rem; align-items: start; }
@media (max-width: 760px) { .chat { grid-template-columns: 1fr; } }
.members { position: sticky; top: 1rem; }
.members select { width: 100%; }
.conv { background: #fff; border: 1px solid #dee0e3; border-radius: 8px; display: flex; flex-direction: column; height: calc(100vh - 12rem); min-height: 26rem; }
.messages { flex: 1; overflow-y: auto; padding: 1rem; display: flex; flex-direction: column; gap: .8rem; background: #f7f8fa; border-radius: 8px 8px 0 0; }
.msg { display: flex; flex-direction: column; max-width: 85%; }
.msg.bot { align-self: flex-start; }
.msg.user { align-self: flex-end; align-items: flex-end; }
.msg .meta { font-size: .75rem; color: #8f959e; margin: 0 .25rem .15rem; }
.bubble { background: #fff; border: 1px solid #dee0e3; border-radius: 10px; padding: .5rem .75rem; }
.msg.user .bubble { background: #d5e6ff; border-color: #b7d0fb; }
.text-body { white-space: pre-wrap; word-break: break-word; }
.compose { display: flex; gap: .5rem; padding: .75rem; border-top: 1px solid #dee0e3; align-items: flex-end; flex-wrap: wrap; }
.compose textarea { flex: 1; min-width: 12rem; }
.quick { display: flex; gap: .35rem; flex-wrap: wrap; padding: 0 .75rem .75rem; }
.quick .btn { font-size: .82rem; padding: .15rem .6rem; }
.empty { color: #8f959e; text-align: center; margin: auto; }
/* cards */
.card { background: #fff; border: 1px solid #dee0e3; border-top: 4px solid var(--tone); border-radius: 10px; min-width: 18rem; max-width: 38rem; overflow: hidden; }
${tones}
.card-title { font-weight: 700; padding: .55rem .85rem; color: var(--tone); background: color-mix(in srgb, var(--tone) 9%, #fff); }
.card-body { padding: .5rem .85rem .75rem; display: grid; gap: .5rem; }
.card-text { margin: 0; white-space: pre-wrap; }
.card-note { margin: 0; color: #8f959e; font-size: .85rem; white-space: pre-wrap; }
.card-divider { border: 0; border-top: 1px solid #eff0f1; margin: .2rem 0; width: 100%; }
.card-fields { display: grid; grid-template-columns: max-content 1fr; gap: .2rem .8rem; margin: 0; }
.card-fields dt { color: #646a73; }
.card-fields dd { margin: 0; white-space: pre-wrap; word-break: break-word; }
.card-actions { display: flex; gap: .5rem; flex-wrap: wrap; }
.press { display: inline; }
.card-form { display: grid; gap: .3rem; border: 1px dashed #dee0e3; border-radius: 8px; padding: .5rem .6rem; }
.card-form label { font-size: .85rem; color: #646a73; }
.card-form .btn { justify-self: start; margin-top: .2rem; }
.req { color: #d83931; margin-left: .15rem; }
.card-fallback { white-space: pre-wrap; margin: 0; font-family: inherit; }
/* operations */
.cols { display: grid; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); gap: .75rem 1rem; }
.cols label, .wide label { display: grid; gap: .25rem; }
.wide { margin-top: .75rem; }
.wide textarea { width: 100%; }
.actions-row { margin-top: .75rem; display: flex; gap: .75rem; align-items: center; flex-wrap: wrap; }
.tabs { display: flex; gap: .4rem; margin: 0 0 .6rem; flex-wrap: wrap; }
.tabs a { text-decoration: none; padding: .2rem .7rem; border: 1px solid #c9cdd4; border-radius: 14px; color: #4e5969; background: #fff; font-size: .88rem; }
.tabs a.on { background: #245bdb; border-color: #245bdb; color: #fff; }
.late { color: #d83931; font-weight: 600; }
.photos { display: flex; flex-wrap: wrap; gap: .25rem; align-items: center; margin-bottom: .25rem; }
.thumb { width: 64px; height: 64px; object-fit: cover; border-radius: 4px; border: 1px solid #dee0e3; }
.good { color: #1c6b13; }
.wait { color: #8a4b00; }
.nowrap { white-space: nowrap; }
.problems td:first-child, .problems td:nth-child(2) { white-space: nowrap; }
h2 { font-size: 1.1rem; margin: 1.25rem 0 .6rem; }
h2.flush { margin-top: 0; }
code { background: #f2f3f5; padding: 0 .25rem; border-radius: 4px; }
/* dashboard (data-page="dashboard") */
.dash { display: grid; grid-template-columns: repeat(auto-fit, minmax(30rem, 1fr)); gap: 0 1rem; }
.dash .panel h2 { margin-top: 0; }
.chart { width: 100%; height: auto; max-width: 40rem; display: block; }
.chart text { font-size: 12px; fill: #1f2329; }
.chart .axis { stroke: #8f959e; stroke-width: 1; }
.legend { display: flex; gap: 1rem; font-size: .85rem; color: #4e5969; margin: .25rem 0; }
.legend i { display: inline-block; width: .8rem; height: .8rem; margin-right: .25rem; vertical-align: -1px; }
.legend .sw-blue { background: #245bdb; }
.legend .sw-green { background: #2ea121; }
.legend .sw-red { background: #d83931; }
.legend .sw-orange { background: #de7802; }
.legend .sw-met { background: #d9f2d4; }
.legend .sw-missed { background: #fbd3d0; }
.legend .sw-exempt { background: #dee0e3; }
.legend .sw-none { background: #eff0f1; }
.heat td.cell { text-align: center; white-space: nowrap; }
.heat td.met { background: #d9f2d4; }
.heat td.missed { background: #fbd3d0; }
.heat td.none { background: #eff0f1; color: #8f959e; }
.heat td.exempt { background: #dee0e3; color: #4e5969; }
.heat .why { display: block; font-size: .75rem; color: #646a73; white-space: normal; }
[data-page=dashboard] td.num, [data-page=dashboard] th.num { text-align: right; }
[data-page=dashboard] * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
@media print {
  [data-page=dashboard] .banner, [data-page=dashboard] .top { display: none; }
  [data-page=dashboard] main { max-width: none; margin: 0; }
  [data-page=dashboard] .dash { display: block; }
  [data-page=dashboard] .panel { break-inside: avoid; border-color: #8f959e; }
  [data-page=dashboard] a { color: inherit; text-decoration: none; }
}
/* reports (their print rules are in the page: reports/page.ts) */
.report th, .report td { text-align: center; }
.report td:first-child { text-align: left; white-space: nowrap; }
.veto { color: #d83931; font-weight: 700; }
`;

/** The stylesheet's address; the version changes with its content, so it can be cached for good. */
export const STYLESHEET_PATH = `/console/style.css?v=${createHash('sha256').update(CONSOLE_CSS).digest('hex').slice(0, 10)}`;
