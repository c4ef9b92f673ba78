// The fake Feishu's side of a card callback (卡片回传交互): it posts to a developer server on 127.0.0.1,
// waits 3 s for HTTP 200, and records what the presser saw (test/fakes/feishu-api.ts `callback`).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeFeishu, startFakeFeishu } from './fakes/feishu-api.ts';

const card = { schema: '2.0', body: { elements: [{ tag: 'markdown', content: '**状态**：已受理' }] } };

let fake: FakeFeishu;
beforeAll(async () => {
  fake = await startFakeFeishu();
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

describe('card callbacks: Feishu waits 3 s for our answer', () => {
  /** A developer server on 127.0.0.1 answering every callback after `delayMs` with `status` and `body`. */
  async function server(delayMs: number, status: number, body: unknown) {
    const { createServer } = await import('node:http');
    const http = createServer((_request, response) => {
      setTimeout(() => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      }, delayMs).unref();
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as { port: number };
    return {
      url: `http://127.0.0.1:${port}/`,
      close: () => {
        http.closeAllConnections();
        return new Promise((resolve) => http.close(resolve));
      },
    };
  }
  const request = { body: '{}', headers: { 'content-type': 'application/json' } };

  it('shows our toast and card when answered 200 in time; the card replaces the pressed one', async () => {
    const answer = { toast: { type: 'success', content: '已受理' }, card: { type: 'raw', data: card } };
    const ours = await server(50, 200, answer);
    try {
      const callback = await fake.callback(ours.url, request, 'om_pressed');
      expect(callback).toMatchObject({ status: 200, seen: { error: false, toast: answer.toast, card } });
      expect(fake.contentOf('om_pressed')).toEqual(card);
      expect(fake.callbacks).toEqual([callback]);
    } finally {
      await ours.close();
    }
  });

  it('shows Feishu’s error for an answer later than 3 s, and discards it; also for a non-200', async () => {
    const late = await server(3300, 200, { toast: { type: 'success', content: '已受理' } });
    const refused = await server(0, 503, { error: 'busy' });
    try {
      const tooLate = await fake.callback(late.url, request, 'om_late');
      expect(tooLate.status).toBeUndefined();
      expect(tooLate.seen).toEqual({ error: true, reason: 'not answered within 3 s' });
      expect(tooLate.ms).toBeGreaterThanOrEqual(2900);
      expect(tooLate.ms).toBeLessThan(3300);
      expect(fake.contentOf('om_late')).toBeUndefined();
      const unavailable = await fake.callback(refused.url, request);
      expect(unavailable).toMatchObject({ status: 503, seen: { error: true, reason: 'HTTP 503' } });
    } finally {
      await late.close();
      await refused.close();
    }
  });
});
