// Property-based tests of GET and POST /webhooks/wecom over real HTTP (issue 8, "Bad input"): random
// query strings and XML bodies, mutated signatures, timestamps, nonces and ciphertexts, validly signed
// callbacks whose decrypted XML is random or mutated, random template_card_event keys, and button clicks
// by the wrong person. Whatever arrives: never a 5xx, /healthz keeps answering, a refusal is a 4xx with a
// JSON `error` and writes nothing, and a refused click leaves the hazard and its trail as they were.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { asc, desc, eq, gt } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeButtonKey } from '../bot/channels/wecom/normalize.ts';
import { buildXml } from '../bot/channels/wecom/xml.ts';
import type { Database } from '../db/client.ts';
import { hazardRoles } from '../db/queries/hazard-roles.ts';
import { hazardEvents, hazards, outbox, people } from '../db/schema.ts';
import { decide, type HazardAction } from '../handlers/hazard-workflow.ts';
import { createRouter } from '../handlers/index.ts';
import { parseOrgFile } from '../handlers/org-file.ts';
import { exampleFile } from './helpers/db.ts';
import { harnessPerFile } from './helpers/per-file.ts';
import {
  anyString,
  changedTables,
  chatText,
  deliverAll,
  failedEvents,
  headerChar,
  mutate,
  mutation,
  rowCounts,
  runs,
} from './helpers/properties.ts';
import type { Harness } from './helpers/service.ts';
import {
  cardEvent,
  nextMsgId,
  postWecom,
  signEnvelope,
  textMessage,
  WECOM_APP,
  WECOM_VECTOR,
  type WecomRequest,
  wecomCallback,
  wecomCrypto,
} from './helpers/wecom-events.ts';

const RUNS = 100;

let database: Database;
let harness: Harness;

const school = parseOrgFile('school.yaml', readFileSync(exampleFile('school.yaml'), 'utf8'));
const userIds = school.people.map((person) => person.wecom!.userid);

harnessPerFile((opened) => ({ database, harness } = opened), { wecom: true });

const post = (request: WecomRequest) => postWecom(harness, request);

/** Never a 5xx; a 4xx carries a JSON `error`; a 2xx is WeCom's empty acknowledgement. */
async function expectAnswered(response: Response): Promise<{ refused: boolean; text: string }> {
  const text = await response.text();
  expect(response.status, text).toBeLessThan(500);
  if (response.status >= 400) {
    const body = JSON.parse(text) as { error?: unknown };
    expect(typeof body.error, text).toBe('string');
    expect((body.error as string).length).toBeGreaterThan(0);
    return { refused: true, text };
  }
  expect(response.status).toBe(200);
  return { refused: false, text };
}

async function expectRefused(send: () => Promise<Response>, status?: number) {
  const before = await rowCounts(database);
  const response = await send();
  const { refused, text } = await expectAnswered(response);
  expect(refused, text).toBe(true);
  if (status) expect(response.status, text).toBe(status);
  expect(changedTables(before, await rowCounts(database))).toEqual([]);
  return JSON.parse(text) as { error: string };
}

async function expectHealthy() {
  const response = await fetch(`${harness.url}/healthz`);
  expect(response.status).toBe(200);
}

async function expectNoFailures() {
  expect(await failedEvents(database)).toEqual([]);
}

const reportXml = (content = '报隐患 教学楼三楼东侧灭火器过期，一般', msgId = nextMsgId()) =>
  textMessage({ from: 'chenjing', content, msgId });

/** Removes what XML 1.0 cannot carry at all, so buildXml accepts the value (the rest stays random). */
const xmlSafe = (value: string) =>
  value.replace(/[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, '');

describe('WeCom URL verification (GET)', () => {
  it('refuses random and mutated query strings with a 4xx', async () => {
    const vector = {
      msg_signature: WECOM_VECTOR.msgSignature,
      timestamp: WECOM_VECTOR.timestamp,
      nonce: WECOM_VECTOR.nonce,
      echostr: WECOM_VECTOR.echostr,
    };
    const query = fc.oneof(
      fc.dictionary(
        fc.oneof(fc.constantFrom('msg_signature', 'timestamp', 'nonce', 'echostr'), fc.string()),
        anyString,
      ),
      fc
        .tuple(fc.constantFrom(...(Object.keys(vector) as (keyof typeof vector)[])), mutation(headerChar))
        .map(([key, edit]) => ({ ...vector, [key]: mutate(vector[key], edit) })),
      fc.string({ unit: headerChar }).map((raw) => raw),
    );
    await fc.assert(
      fc.asyncProperty(query, async (params) => {
        const search = typeof params === 'string' ? params : new URLSearchParams(params).toString();
        const response = await fetch(`${harness.url}/webhooks/wecom?${search}`);
        const { refused, text } = await expectAnswered(response);
        // Only the genuine vector is answered; an edit that decodes to the same query could be too.
        if (!refused) expect(text).toBe(WECOM_VECTOR.plain);
      }),
      { numRuns: runs(RUNS) },
    );
    await expectHealthy();
  });
});

describe('WeCom callbacks (POST): forged, garbled and replayed', () => {
  it('refuses random query strings and random bodies with a 4xx and writes nothing', async () => {
    const body = fc.oneof(
      anyString,
      fc.string().map((text) => `<xml>${text}</xml>`),
      fc.base64String().map((encrypt) => buildXml({ ToUserName: WECOM_APP.corpId, Encrypt: encrypt })),
      fc.constantFrom(
        '<!DOCTYPE xml [<!ENTITY a "b">]><xml><Encrypt>&a;</Encrypt></xml>',
        '<xml><Encrypt><xml/></Encrypt></xml>',
        '<xml><Encrypt></Encrypt></xml>',
        '<xml/>',
        '<a/><b/>',
        '<xml><Encrypt>&#0;</Encrypt></xml>',
      ),
    );
    const query = fc.dictionary(
      fc.oneof(fc.constantFrom('msg_signature', 'timestamp', 'nonce'), fc.string()),
      fc.oneof(fc.stringMatching(/^[0-9a-f]{40}$/), fc.nat().map(String), anyString),
    );
    await fc.assert(
      fc.asyncProperty(query, body, async (params, raw) => {
        await expectRefused(() =>
          fetch(`${harness.url}/webhooks/wecom?${new URLSearchParams(params)}`, {
            method: 'POST',
            headers: { 'content-type': 'text/xml' },
            body: raw,
          }),
        );
      }),
      { numRuns: runs(RUNS) },
    );
    await expectHealthy();
  });

  it('refuses a valid callback with one edit to msg_signature, timestamp, nonce or the ciphertext', async () => {
    const part = fc.constantFrom('msg_signature', 'timestamp', 'nonce', 'Encrypt');
    await fc.assert(
      fc.asyncProperty(part, mutation(headerChar), fc.boolean(), async (where, edit, drop) => {
        const request = wecomCallback(reportXml());
        const params = new URLSearchParams(request.query);
        let body = request.body;
        if (where === 'Encrypt') {
          const encrypt = /<Encrypt><!\[CDATA\[([^\]]*)\]\]><\/Encrypt>/.exec(body)![1]!;
          body = body.replace(encrypt, mutate(encrypt, edit));
        } else if (drop) params.delete(where);
        else params.set(where, mutate(params.get(where)!, edit));
        const error = await expectRefused(() => post({ query: `?${params}`, body }));
        expect(error.error).toMatch(/signature|required|XML|xml|Encrypt|decrypt|envelope/);
      }),
      { numRuns: runs(RUNS) },
    );
    await expectHealthy();
    expect(await database.db.select().from(hazards)).toEqual([]);
  });

  it('never fails on a validly signed callback whose outer XML is edited around the ciphertext', async () => {
    await fc.assert(
      fc.asyncProperty(mutation(), async (edit) => {
        const before = await database.db.select({ id: hazards.id }).from(hazards);
        const request = wecomCallback(reportXml());
        const { refused } = await expectAnswered(
          await post({ ...request, body: mutate(request.body, edit) }),
        );
        const after = await database.db.select({ id: hazards.id }).from(hazards);
        // The signature covers the ciphertext only: an edit elsewhere may still deliver the message once.
        expect(after.length - before.length).toBeLessThanOrEqual(refused ? 0 : 1);
        await expectNoFailures();
      }),
      { numRuns: runs(RUNS) },
    );
  });

  it('refuses a correctly signed callback whose timestamp is more than an hour off (a replay)', async () => {
    const offset = fc.oneof(
      fc.integer({ min: 3601, max: 10 * 365 * 86_400 }),
      fc.integer({ min: -10 * 365 * 86_400, max: -3601 }),
    );
    await fc.assert(
      fc.asyncProperty(offset, async (seconds) => {
        const timestamp = Math.floor(Date.now() / 1000) + seconds;
        const error = await expectRefused(() => post(wecomCallback(reportXml(), { timestamp })), 401);
        expect(error.error).toBe('stale request timestamp');
      }),
      { numRuns: runs(RUNS) },
    );
  });

  it('acts once on a message however often it is delivered (same MsgId), re-encrypted or not', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 4 }), fc.boolean(), async (times, parallel) => {
        const inner = reportXml(`报隐患 ${randomUUID().slice(0, 8)} 灭火器过期，一般`);
        const before = await database.db.select({ id: hazards.id }).from(hazards);
        const deliveries = Array.from({ length: times }, () => wecomCallback(inner));
        const responses = await deliverAll(deliveries, post, parallel);
        for (const response of responses) expect(response.status).toBe(200);
        const after = await database.db.select({ id: hazards.id }).from(hazards);
        expect(after.length - before.length).toBe(1);
      }),
      { numRuns: runs(20) },
    );
    await expectNoFailures();
  });
});

// ---------------------------------------------------------------------------------------------------
// Validly signed and encrypted callbacks whose XML is random

/** Every button action the bot knows (the router's own registry). */
const ACTIONS = createRouter().actionNames();

const eventKey = fc.oneof(
  fc
    .tuple(
      fc.oneof(fc.constantFrom(...ACTIONS), fc.string({ minLength: 1, maxLength: 64 })),
      fc.oneof(
        fc.dictionary(
          fc.constantFrom('id', 'swap', 'decision', 'severity'),
          fc.oneof(fc.nat().map(String), anyString),
        ),
        fc.record({ id: fc.constantFrom('1', '0', '-1', '1e10', '99999999999', ' 2 ', 'x') }),
      ),
      fc.option(fc.nat(), { nil: undefined }),
    )
    .map(([action, args, index]) => encodeButtonKey(action, args, index)),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  anyString,
);

const field = (values: fc.Arbitrary<string | number>) => fc.option(values, { nil: undefined });

const innerRecord = fc
  .record({
    ToUserName: field(fc.oneof(fc.constant(WECOM_APP.corpId), anyString)),
    FromUserName: field(fc.oneof(fc.constantFrom(...userIds), anyString)),
    CreateTime: field(
      fc.oneof(
        fc.constant(Math.floor(Date.now() / 1000)),
        fc.nat(),
        fc.stringMatching(/^\d{1,20}$/),
        anyString,
      ),
    ),
    MsgType: field(fc.oneof(fc.constantFrom('text', 'image', 'event', 'voice', 'location'), anyString)),
    Content: field(chatText),
    PicUrl: field(anyString),
    MediaId: field(anyString),
    MsgId: field(fc.oneof(fc.stringMatching(/^\d{1,25}$/), anyString)),
    Event: field(fc.oneof(fc.constantFrom('template_card_event', 'enter_agent', 'click'), anyString)),
    EventKey: field(eventKey),
    TaskId: field(fc.oneof(fc.uuid(), anyString)),
    CardType: field(fc.constantFrom('button_interaction', 'text_notice', '')),
    ResponseCode: field(anyString),
    AgentID: field(fc.oneof(fc.constant(String(WECOM_APP.agentId)), anyString)),
  })
  .map((record) => {
    const clean: Record<string, string | number> = {};
    for (const [key, value] of Object.entries(record)) {
      if (value !== undefined) clean[key] = typeof value === 'string' ? xmlSafe(value) : value;
    }
    return buildXml(clean);
  });

/** Mostly well-formed messages and card events, with random contents. */
const wellFormed = fc.oneof(
  fc
    .tuple(fc.constantFrom(...userIds), chatText)
    .map(([from, content]) => textMessage({ from, content: xmlSafe(content) })),
  fc
    .tuple(fc.constantFrom(...userIds), eventKey, fc.oneof(fc.uuid(), anyString))
    .map(([from, key, taskId]) =>
      cardEvent({ from, eventKey: xmlSafe(key), taskId: xmlSafe(taskId), responseCode: 'code' }),
    ),
);

const innerXml = fc.oneof(
  { weight: 3, arbitrary: wellFormed },
  { weight: 3, arbitrary: innerRecord },
  { weight: 1, arbitrary: anyString },
  { weight: 2, arbitrary: fc.tuple(wellFormed, mutation()).map(([xml, edit]) => mutate(xml, edit)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '<xml><MsgType>text</MsgType><Content>&#0;</Content></xml>',
      '<xml><MsgType><![CDATA[text]]></MsgType><MsgType>image</MsgType></xml>',
      '<xml><ToUserName>a</ToUserName><FromUserName>chenjing</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content><b>x</b></Content><MsgId>1</MsgId><AgentID>1000002</AgentID></xml>',
      '<!DOCTYPE x [<!ENTITY e "报隐患">]><xml><Content>&e;</Content></xml>',
      '<xml></xml>',
      '',
    ),
  },
);

describe('WeCom callbacks of random content, validly signed', () => {
  it('never answer 5xx; refusals write nothing; accepted ones never fail inside', async () => {
    await fc.assert(
      fc.asyncProperty(innerXml, async (inner) => {
        const before = await rowCounts(database);
        const { refused, text } = await expectAnswered(await post(wecomCallback(inner)));
        if (refused) expect(changedTables(before, await rowCounts(database)), text).toEqual([]);
        await expectNoFailures();
      }),
      { numRuns: runs(200) },
    );
    await expectHealthy();
  });

  it('refuse a ciphertext that is not ours, signed correctly', async () => {
    const ciphertext = fc.oneof(
      fc.base64String({ minLength: 4 }),
      fc.uint8Array({ minLength: 16, maxLength: 128 }).map((bytes) => Buffer.from(bytes).toString('base64')),
      fc.string({ unit: headerChar, minLength: 1 }).filter((text) => !text.includes(']]>')),
    );
    await fc.assert(
      fc.asyncProperty(ciphertext, async (encrypt) => {
        await expectRefused(() => post(signEnvelope(encrypt)));
      }),
      { numRuns: runs(RUNS) },
    );
  });

  it('refuse a message or click for another app (AgentID), writing nothing', async () => {
    const otherAgent = fc
      .oneof(fc.nat().map(String), anyString)
      .map(xmlSafe)
      // XML values are read trimmed; an empty AgentID is not checked (WeCom always sends it).
      .filter((agentId) => agentId.trim() !== '' && agentId.trim() !== String(WECOM_APP.agentId));
    await fc.assert(
      fc.asyncProperty(otherAgent, fc.boolean(), async (agentId, click) => {
        const inner = click
          ? cardEvent({
              from: 'yinxianju',
              eventKey: encodeButtonKey('hazard.accept', { id: '1' }),
              taskId: 't',
            })
          : reportXml();
        const forged = inner.replace(
          `<AgentID><![CDATA[${WECOM_APP.agentId}]]></AgentID>`,
          // A function, so that `$&` and the like in the random id are not replacement patterns.
          () => buildXml({ AgentID: agentId }).slice('<xml>'.length, -'</xml>'.length),
        );
        expect(forged).not.toBe(inner);
        const error = await expectRefused(() => post(wecomCallback(forged)), 401);
        expect(error.error).toBe('event for another app');
      }),
      { numRuns: runs(50) },
    );
  });

  it('refuse a message encrypted for another CorpID', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^[a-z0-9]{1,24}$/).filter((id) => id !== WECOM_APP.corpId),
        async (corpId) => {
          const error = await expectRefused(
            () => post(wecomCallback(reportXml(), { crypto: wecomCrypto(corpId) })),
            401,
          );
          expect(error.error).toBe('message for another CorpID');
        },
      ),
      { numRuns: runs(50) },
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// Clicks by the wrong person

const STEPS: { action: HazardAction; button: string; args?: Record<string, string> }[] = [
  { action: 'accept', button: 'hazard.accept' },
  { action: 'reject', button: 'hazard.reject' },
  { action: 'submit', button: 'hazard.submit' },
  { action: 'decideExtension', button: 'hazard.extension', args: { decision: 'approve' } },
  { action: 'pass', button: 'hazard.pass' },
  { action: 'fail', button: 'hazard.fail' },
  { action: 'list', button: 'hazard.list' },
  { action: 'complete', button: 'hazard.complete', args: { severity: '较大' } },
];

describe('WeCom card clicks by the wrong person', () => {
  it('are refused and change neither the hazard nor its trail', async () => {
    await post(wecomCallback(reportXml()));
    await post(wecomCallback(reportXml('报隐患 教学楼二楼灭火器过期，一般')));
    const list = await database.db.select().from(hazards).orderBy(asc(hazards.id));
    await post(
      wecomCallback(
        cardEvent({
          from: 'yinxianju',
          eventKey: encodeButtonKey('hazard.accept', { id: String(list[1]!.id) }),
          taskId: randomUUID(),
        }),
      ),
    );
    const current = await database.db.select().from(hazards).orderBy(asc(hazards.id));
    expect(current.map((hazard) => hazard.status)).toEqual(['reported', 'accepted']);
    const members = await database.db.select().from(people).where(eq(people.isOutside, false));
    const refusals: { userId: string; hazard: (typeof current)[number]; step: (typeof STEPS)[number] }[] = [];
    for (const hazard of current) {
      for (const member of members) {
        const roles = await hazardRoles(database.db, hazard, member.id);
        for (const step of STEPS) {
          const own = step.action === 'complete' && hazard.reporterId === member.id;
          const verdict = decide(step.action, hazard.status, roles, {
            actorId: member.id,
            rectifierId: hazard.rectifierId,
            rectifiedById: hazard.rectifiedById,
          });
          if (!own && !verdict.ok) refusals.push({ userId: member.code, hazard, step });
        }
      }
    }
    expect(refusals.length).toBeGreaterThan(50);

    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...refusals), fc.uuid(), async ({ userId, hazard, step }, taskId) => {
        const trail = await database.db.select().from(hazardEvents);
        const [last] = await database.db
          .select({ id: outbox.id })
          .from(outbox)
          .orderBy(desc(outbox.id))
          .limit(1);
        const response = await post(
          wecomCallback(
            cardEvent({
              from: userId,
              eventKey: encodeButtonKey(step.button, { id: String(hazard.id), ...step.args }),
              taskId,
              responseCode: 'code',
            }),
          ),
        );
        expect(response.status).toBe(200);
        const [after] = await database.db.select().from(hazards).where(eq(hazards.id, hazard.id));
        expect(after).toEqual(hazard);
        expect(await database.db.select().from(hazardEvents)).toEqual(trail);
        // The refusal is told to the person who clicked, in words, and to nobody else.
        const answers = await database.db
          .select()
          .from(outbox)
          .where(gt(outbox.id, last?.id ?? 0));
        expect(answers.map((row) => [row.targetId, row.body.kind])).toEqual([[userId, 'text']]);
        expect((answers[0]!.body as { text: string }).text).toMatch(/只有|不能|当前状态|没有/);
      }),
      { numRuns: runs(RUNS) },
    );
    await expectNoFailures();
  });
});
