// Slow and oversized request bodies (issue 14, items 1 and 7), with real sockets against the real Node
// server: a webhook's place in the load gate lasts as long as its request does (a closed socket or the
// body deadline frees it), slow senders get 408, /healthz reports a full gate, and every route that reads
// a body stops reading at its limit (413) instead of reading the whole body first.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_BODY_DEADLINES } from '../bot/console/app.ts';
import { HTTP_TIMEOUTS } from '../bot/http-server.ts';
import type { Database } from '../db/client.ts';
import { openTestDatabase, seedExample } from './helpers/db.ts';
import { APP, feishuRequest } from './helpers/feishu-events.ts';
import { chunk, floodChunked, rawConnection, rawRequest } from './helpers/raw-http.ts';
import { type Harness, type HarnessOptions, startHarness } from './helpers/service.ts';
import { otherEvent, postWecom, wecomCallback } from './helpers/wecom-events.ts';

let database: Database;
const harnesses: Harness[] = [];

beforeAll(async () => {
  database = await openTestDatabase();
  await seedExample(database);
});
afterAll(async () => {
  for (const harness of harnesses) await harness.close();
  await database.close();
});

async function start(
  loadGate: HarnessOptions['loadGate'],
  options: Omit<HarnessOptions, 'loadGate'> = {},
): Promise<Harness> {
  const harness = await startHarness(database, {}, { wecom: true, loadGate, ...options });
  harnesses.push(harness);
  return harness;
}

/** A valid Feishu callback that needs no database: the URL check. */
const urlCheck = (harness: Harness) =>
  fetch(`${harness.url}/webhooks/feishu`, {
    method: 'POST',
    ...feishuRequest({ type: 'url_verification', token: APP.token, challenge: 'c-1' }),
  });

const health = async (harness: Harness) => {
  const response = await fetch(`${harness.url}/healthz`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

const stalled = (harness: Harness, path = '/webhooks/feishu', length = 4000) =>
  rawRequest(
    harness.url,
    'POST',
    path,
    { 'content-type': 'application/json', 'content-length': String(length) },
    '{"enc',
  );

describe('a webhook body that does not arrive', () => {
  it('stalled senders past the answer deadline, then gone, do not keep the webhooks answering 503', async () => {
    // The attack of the issue, at the scale of a small gate: every place taken by a request that sent its
    // headers and a few bytes, stalled past the gate's answer deadline and then disconnected.
    const harness = await start({
      maxInFlight: 4,
      maxQueue: 4,
      maxWaitMs: 50,
      answerWithinMs: 300,
      bodyIdleMs: 150,
      bodyWithinMs: 250,
    });
    const attackers = Array.from({ length: 8 }, (_, index) =>
      stalled(
        harness,
        index % 2 === 0 ? '/webhooks/feishu' : '/webhooks/wecom?msg_signature=a&timestamp=1&nonce=1',
      ),
    );
    await sleep(600);
    for (const attacker of attackers) attacker.close();
    const answers = await Promise.all(attackers.map((attacker) => attacker.answer));
    // Valid callbacks of both platforms are answered again at once, and health is ok.
    const feishu = await urlCheck(harness);
    expect(feishu.status).toBe(200);
    expect(await feishu.json()).toEqual({ challenge: 'c-1' });
    expect((await postWecom(harness, wecomCallback(otherEvent('zhangsan')))).status).toBe(200);
    const after = await health(harness);
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ ok: true, gate: { inFlight: 0, saturated: false } });
    // Those given a place were told their body came too late; the rest found no place. A refused Feishu
    // request has its body read (within the same limits) to tell whether it is a card press, to be refused
    // politely: a stalled one is told its body came too late as well; a refused WeCom one gets the 503.
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 408).length).toBeGreaterThanOrEqual(4);
    expect(statuses.filter((status, index) => status === 503 && index % 2 === 0)).toEqual([]);
    expect(statuses.filter((status) => status === 408 || status === 503)).toHaveLength(8);
    for (const answer of answers.filter((one) => one.status === 408)) {
      expect(answer.afterMs).toBeLessThan(450);
    }
  });

  it('a 1-byte drip holds its place no longer than the body deadline; health reports the full gate meanwhile', async () => {
    const harness = await start({
      maxInFlight: 1,
      maxQueue: 0,
      answerWithinMs: 2000,
      bodyIdleMs: 200,
      bodyWithinMs: 500,
    });
    const drip = stalled(harness);
    let answered = false;
    void drip.answer.then(() => {
      answered = true;
    });
    const dripping = (async () => {
      // A byte every 50 ms never trips the deadline between reads, only the overall one.
      while (!answered && !drip.socket.destroyed) {
        drip.write('x');
        await sleep(50);
      }
    })();
    await sleep(150);
    expect((await urlCheck(harness)).status).toBe(503);
    const full = await health(harness);
    expect(full.status).toBe(503);
    expect(full.body).toMatchObject({ ok: false, gate: { inFlight: 1, limit: 1, saturated: true } });

    const answer = await drip.answer;
    await dripping;
    expect(answer.status).toBe(408);
    expect(answer.afterMs).toBeGreaterThanOrEqual(450);
    expect(answer.afterMs).toBeLessThan(900);
    drip.close();
    expect((await urlCheck(harness)).status).toBe(200);
    expect((await health(harness)).body).toMatchObject({ ok: true, gate: { inFlight: 0, saturated: false } });
  });

  it('a sender that closes its socket mid-body gives its place back at once, long before any deadline', async () => {
    const harness = await start({
      maxInFlight: 1,
      maxQueue: 0,
      answerWithinMs: 10_000,
      bodyIdleMs: 10_000,
      bodyWithinMs: 10_000,
    });
    const gone = stalled(harness);
    await sleep(100);
    expect((await urlCheck(harness)).status).toBe(503);
    const closedAt = Date.now();
    gone.close();
    await sleep(50);
    const response = await urlCheck(harness);
    expect(response.status).toBe(200);
    expect(Date.now() - closedAt).toBeLessThan(1000);
  });
});

describe('bodies over the limit are refused while they stream', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await start({});
  });

  const chunked = (path: string, type: string) =>
    rawRequest(harness.url, 'POST', path, { 'content-type': type, 'transfer-encoding': 'chunked' });

  it('answers 413 to a chunked webhook body as soon as it passes 1 MB, without waiting for its end', async () => {
    for (const path of ['/webhooks/feishu', '/webhooks/wecom?msg_signature=a&timestamp=1&nonce=1']) {
      const request = chunked(path, 'application/json');
      // A body that would go on for 600 MB and never ends: the answer must come from the limit.
      const answer = await floodChunked(request, 600 * 1024 * 1024);
      request.close();
      expect(answer.status).toBe(413);
      expect(request.written).toBeLessThan(8 * 1024 * 1024);
    }
    expect((await urlCheck(harness)).status).toBe(200);
  });

  it('answers 413 at once to a declared length over the limit', async () => {
    const request = rawRequest(harness.url, 'POST', '/webhooks/feishu', {
      'content-type': 'application/json',
      'content-length': String(600 * 1024 * 1024),
    });
    const answer = await request.answer;
    request.close();
    expect(answer.status).toBe(413);
  });

  it('the console login, forms and uploads stop reading at their limits too, with their own message', async () => {
    const cases = [
      { path: '/login', message: '请求内容过大' },
      { path: '/console/say', message: '请求内容过大' },
      { path: '/console/org', message: '组织文件最大' },
      { path: '/console/rosters', message: '值班表文件最大' },
    ];
    for (const { path, message } of cases) {
      const request = chunked(path, 'multipart/form-data; boundary=x');
      const answer = await floodChunked(request, 100 * 1024 * 1024);
      request.close();
      expect(answer.status, path).toBe(413);
      expect(answer.text, path).toContain(message);
      expect(request.written, path).toBeLessThan(16 * 1024 * 1024);
    }
  });
});

describe('a console body that does not arrive', () => {
  it('a stalled login or upload is answered 408 in Chinese after the deadline between reads; a drip after the overall one', async () => {
    const harness = await start({}, { consoleBodyDeadlines: { idleMs: 200, withinMs: 600 } });
    const form = { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '500' };
    const login = rawRequest(harness.url, 'POST', '/login', form, '_csrf=');
    const upload = rawRequest(
      harness.url,
      'POST',
      '/console/org',
      { 'content-type': 'multipart/form-data; boundary=x', 'content-length': '50000' },
      '--x\r\n',
    );
    const drip = rawRequest(harness.url, 'POST', '/console/rosters', {
      'content-type': 'multipart/form-data; boundary=x',
      'transfer-encoding': 'chunked',
    });
    let dripping = true;
    const dripped = (async () => {
      while (dripping && !drip.socket.destroyed) {
        drip.write(chunk('x'));
        await sleep(50);
      }
    })();
    const [stalledLogin, stalledUpload] = await Promise.all([login.answer, upload.answer]);
    for (const answer of [stalledLogin, stalledUpload]) {
      expect(answer.status).toBe(408);
      expect(answer.text).toContain('请求超时');
      expect(answer.afterMs).toBeGreaterThanOrEqual(180);
      expect(answer.afterMs).toBeLessThan(500);
    }
    const dripAnswer = await drip.answer;
    dripping = false;
    await dripped;
    expect(dripAnswer.status).toBe(408);
    expect(dripAnswer.afterMs).toBeGreaterThanOrEqual(550);
    expect(dripAnswer.afterMs).toBeLessThan(1000);
    for (const request of [login, upload, drip]) request.close();
  });
});

describe('headers that do not arrive', () => {
  it('a request whose headers stall or drip is answered 408 at the header deadline and its socket closed', async () => {
    const harness = await start({}, { httpTimeouts: { headersMs: 300, requestMs: 2000, checkEveryMs: 50 } });
    const stalledHead = rawConnection(harness.url, 'POST /webhooks/feishu HTTP/1.1\r\nhost: x\r\nx-a: b');
    const drippedHead = rawConnection(harness.url, 'POST /webhooks/wecom HTTP/1.1\r\n');
    let dripping = true;
    const dripped = (async () => {
      while (dripping && !drippedHead.socket.destroyed) {
        drippedHead.write('x');
        await sleep(50);
      }
    })();
    const answers = await Promise.all([stalledHead.answer, drippedHead.answer]);
    dripping = false;
    await dripped;
    for (const answer of answers) {
      expect(answer.status).toBe(408);
      expect(answer.afterMs).toBeGreaterThanOrEqual(250);
      expect(answer.afterMs).toBeLessThan(1500);
    }
    expect((await health(harness)).status).toBe(200);
  });

  it("the server's own deadlines are tight for headers and leave room for the console's slowest upload", () => {
    expect(HTTP_TIMEOUTS.headersMs).toBeLessThanOrEqual(10_000);
    expect(HTTP_TIMEOUTS.checkEveryMs).toBeLessThanOrEqual(1_000);
    expect(HTTP_TIMEOUTS.requestMs).toBeGreaterThan(CONSOLE_BODY_DEADLINES.withinMs);
  });
});
