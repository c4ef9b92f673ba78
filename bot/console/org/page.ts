// `/console/org`: upload an organization file (YAML, as `npm run org:import` reads it) for the admin's own
// tenant, every problem listed (file: path: reason); and the organization as it is now.
import { html } from 'hono/html';
import type { ImportSummary } from '../../../db/org-import.ts';
import { omittedLine } from '../../../handlers/upload-limits.ts';
import { formPanel } from '../fields.ts';
import { errorFlash, type Html } from '../layout.ts';

export interface OrgProblems {
  file: string;
  /** The first 50 problems; `omitted` counts the rest. */
  problems: { path: string; message: string }[];
  omitted?: number;
}

export interface OrgUnitRow {
  name: string;
  code: string;
  /** The unit's own safety duties (units.safety_duties). */
  duties: string[];
  heads: string[];
  people: number;
}

export interface OrgState {
  csrf: string;
  tenantCode: string;
  tenantName: string;
  units: OrgUnitRow[];
  counts: { people: number; posts: number; categories: number };
  /** A file refused: every problem, or one message. */
  error?: OrgProblems | string;
  maxKilobytes: number;
}

/** What an import did, in one line. */
/** The flash after an import; with the lookup report, as much of it as a flash holds (about 500 chars). */
export function orgSummaryText(file: string, summary: ImportSummary, report: string[] = []): string {
  const text =
    `已导入组织文件 ${file}：处室 ${summary.units} 个，岗位 ${summary.posts} 个，人员 ${summary.people} 人，` +
    `隐患类别 ${summary.categories} 个；新任岗位 ${summary.holdersStarted} 人次，离任 ${summary.holdersEnded} 人次。`;
  if (report.length === 0) return text;
  const more = '……完整名单与处理办法请在服务器上运行 npm run org:resolve 查看。';
  const full = `${text}${report.map((line) => line.trim()).join(' ')}`;
  return full.length <= 480 ? full : `${full.slice(0, 480 - more.length)}${more}`;
}

function errorPanel(error: OrgProblems | string): Html | '' {
  if (typeof error === 'string') return errorFlash(error);
  return html`<div class="flash error" role="alert">组织文件 ${error.file} 有 ${error.problems.length + (error.omitted ?? 0)} 处问题，未导入任何内容。请修改后重新上传：</div>
<ul class="problems">
  ${error.problems.map((problem) => html`<li><code>${error.file}: ${problem.path}: ${problem.message}</code></li>`)}
</ul>${error.omitted ? html`<p class="muted">${omittedLine(error.omitted)}。</p>` : ''}`;
}

export function orgPage(state: OrgState): Html {
  return html`<h1>组织信息</h1>
${formPanel(
  {
    title: '导入组织文件',
    action: '/console/org',
    csrf: state.csrf,
    error: state.error ? errorPanel(state.error) : '',
    upload: true,
  },
  html`<div class="actions-row">
      <input type="file" name="file" accept=".yaml,.yml" required>
      <button class="btn primary" type="submit">上传并导入</button>
    </div>
    <p class="muted">YAML 格式，与 <code>npm run org:import</code> 相同；文件中的 <code>tenant.code</code> 必须是本单位的代码 <code>${state.tenantCode}</code>。
    再次导入按代码更新，文件中不再出现的处室、岗位、人员会归档；离任者的岗位职责由继任者承接。文件最大 ${state.maxKilobytes} KB；不支持 <code>settings.calendar_file</code>（请在服务器上导入）。</p>`,
)}
<h2>当前组织：${state.tenantName}</h2>
<p>处室 ${state.units.length} 个 · 岗位 ${state.counts.posts} 个 · 人员 ${state.counts.people} 人 · 隐患类别 ${state.counts.categories} 个</p>
${
  state.units.length === 0
    ? html`<div class="panel"><p>还没有处室。</p></div>`
    : html`<table>
  <thead><tr><th>处室</th><th>代码</th><th>负责人</th><th>在岗人数</th><th>处室安全职责</th></tr></thead>
  <tbody>
    ${state.units.map(
      (unit) =>
        html`<tr data-unit="${unit.code}"><td>${unit.name}</td><td><code>${unit.code}</code></td><td>${unit.heads.length > 0 ? unit.heads.join('、') : html`<span class="late">未登记</span>`}</td><td>${unit.people}</td><td class="duties">${
          unit.duties.length > 0
            ? html`<ol>${unit.duties.map((duty) => html`<li>${duty}</li>`)}</ol>`
            : html`<span class="late">未登记</span>`
        }</td></tr>`,
    )}
  </tbody>
</table>`
}`;
}
