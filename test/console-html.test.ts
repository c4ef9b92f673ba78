// The console's one HTML regime and its one stylesheet, without a database: the layout links the
// versioned stylesheet and carries no style attribute, the stylesheet is served to be cached for good,
// and a card's strings are escaped by Hono's html template (bot/channels/console/render.ts).
import { describe, expect, it } from 'vitest';
import { cardHtml, renderCardHtml } from '../bot/channels/console/render.ts';
import { createConsole } from '../bot/console/app.ts';
import { errorPage, layout } from '../bot/console/layout.ts';
import { CONSOLE_CSS, STYLESHEET_PATH } from '../bot/console/style.ts';
import { silentLogger } from '../bot/core/log.ts';
import type { Card } from '../cards/model.ts';

describe('the console stylesheet', () => {
  it('is served at its versioned address, cached for good', async () => {
    const app = createConsole({
      // The stylesheet needs neither the database nor the core: nothing else is asked here.
      db: undefined as never,
      core: undefined as never,
      log: silentLogger,
      demo: false,
      channels: new Set(),
    });
    expect(STYLESHEET_PATH).toMatch(/^\/console\/style\.css\?v=[0-9a-f]{10}$/);
    const response = await app.request(STYLESHEET_PATH);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const css = await response.text();
    expect(css).toBe(CONSOLE_CSS);
    expect(css).toContain('.card.tone-red { --tone: #d83931; }');
  });

  it('is linked from the layout, whose only style elements carry the nonce', () => {
    const page = String(
      layout(
        { title: '<标题>', demo: true, nonce: 'n0nce', tenantName: '学校', csrf: 'token' },
        errorPage('找不到', '本单位没有 <这个> 成员。'),
      ),
    );
    expect(page).toContain(`<link rel="stylesheet" href="${STYLESHEET_PATH}">`);
    expect(page).toContain('<title>&lt;标题&gt; · 一岗双责安全助手</title>');
    expect(page).toContain('本单位没有 &lt;这个&gt; 成员。');
    expect(page).not.toMatch(/\sstyle="/);
    expect(page.match(/<style[^>]*>/g)).toEqual(['<style nonce="n0nce">']);
  });
});

describe('a card in the console', () => {
  const card: Card = {
    title: '隐患 <b>"1"</b>',
    tone: 'red',
    blocks: [
      { kind: 'fields', fields: [{ label: '地点', value: `教学楼 & '三楼'` }] },
      { kind: 'actions', buttons: [{ label: '受理', action: 'hazard.accept', args: { id: '"7"' } }] },
    ],
  } as Card;

  it('is escaped by the html template, tone as a class, no style attribute', () => {
    const html = renderCardHtml(card, { url: '/console/press', hidden: { _csrf: 't<k>' } });
    expect(html).toContain(
      '<article class="card tone-red"><header class="card-title">隐患 &lt;b&gt;&quot;1&quot;&lt;/b&gt;</header>',
    );
    expect(html).toContain('<dd>教学楼 &amp; &#39;三楼&#39;</dd>');
    expect(html).toContain('<input type="hidden" name="_csrf" value="t&lt;k&gt;">');
    expect(html).toContain(
      '<input type="hidden" name="args" value="{&quot;id&quot;:&quot;\\&quot;7\\&quot;&quot;}">',
    );
    expect(html).not.toContain('style=');
    expect(String(cardHtml(card))).toContain(
      '<button type="button" class="btn default" disabled>受理</button>',
    );
  });

  it('falls back to its text, escaped, when it cannot be read', () => {
    expect(renderCardHtml({ title: '<x>', blocks: 'no' })).toBe(
      '<pre class="card-fallback">{&quot;title&quot;:&quot;&lt;x&gt;&quot;,&quot;blocks&quot;:&quot;no&quot;}</pre>',
    );
  });
});
