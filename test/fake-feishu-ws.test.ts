// The fake long connection holds to the platform's rules, driven by a bare WebSocket client: it is no more
// lenient than Feishu (test/fakes/feishu-ws.ts cites the rules).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FAKE_APP_ID, FAKE_APP_SECRET, type FakeFeishu, startFakeFeishu } from './fakes/feishu-api.ts';
import { decodeFrame, encodeFrame, type Frame } from './fakes/feishu-ws.ts';

let feishu: FakeFeishu;
beforeAll(async () => {
  feishu = await startFakeFeishu();
});
afterAll(() => feishu.close());
afterEach(async () => {
  feishu.ws.drop();
  await expect.poll(() => feishu.ws.open).toBe(0);
});

async function handshake(secret = FAKE_APP_SECRET) {
  const response = await fetch(`${feishu.url}/callback/ws/endpoint`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ AppID: FAKE_APP_ID, AppSecret: secret }),
  });
  return (await response.json()) as { code: number; data: { URL?: string; ClientConfig?: unknown } };
}

/** A client that says nothing until told to, and records the frames it gets. */
async function dial(url: string) {
  const socket = new WebSocket(url);
  const frames: Frame[] = [];
  socket.on('message', (data) => frames.push(decodeFrame(data as Buffer)));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const service = Number(new URL(url).searchParams.get('service_id'));
  return {
    socket,
    frames,
    ping: () =>
      socket.send(
        encodeFrame({ SeqID: 0, LogID: 0, service, method: 0, headers: [{ key: 'type', value: 'ping' }] }),
      ),
  };
}

const envelope = {
  schema: '2.0',
  header: { event_id: 'ev_1', event_type: 'im.message.receive_v1' },
  event: {},
};

describe('the fake Feishu long connection', () => {
  it('refuses a wrong secret at the handshake and an unknown or reused ticket at the upgrade', async () => {
    expect((await handshake('wrong')).code).not.toBe(0);
    const { data } = await handshake();
    expect(data.URL).toMatch(/device_id=.*service_id=\d+.*ticket=/);
    expect(data.ClientConfig).toMatchObject({ PingInterval: expect.any(Number) });
    const first = await dial(data.URL!);
    await expect(dial(data.URL!)).rejects.toThrow(/403/);
    await expect(dial(data.URL!.replace(/ticket=[^&]+/, 'ticket=forged'))).rejects.toThrow(/403/);
    first.socket.terminate();
  });

  it('pushes nothing to a connection before its first ping, and answers the ping with a pong', async () => {
    const client = await dial((await handshake()).data.URL!);
    await expect(feishu.ws.deliver(envelope, { waitMs: 300 })).rejects.toThrow(/ready connection/);
    expect(client.frames).toHaveLength(0);
    client.ping();
    await feishu.ws.waitReady();
    await expect.poll(() => client.frames[0]?.headers).toEqual([{ key: 'type', value: 'pong' }]);
    client.socket.terminate();
  });

  it('counts an event unanswered within 3 s as a timeout, and reads an answer given in time', async () => {
    const client = await dial((await handshake()).data.URL!);
    client.ping();
    await feishu.ws.waitReady();
    const silent = await feishu.ws.deliver(envelope);
    expect(silent.outcome).toBe('timeout');
    expect(silent.ms).toBeGreaterThanOrEqual(3000);

    client.socket.on('message', (data) => {
      const frame = decodeFrame(data as Buffer);
      if (frame.method !== 1) return;
      const payload = {
        code: 200,
        data: Buffer.from(JSON.stringify({ toast: { type: 'info' } })).toString('base64'),
      };
      client.socket.send(encodeFrame({ ...frame, payload: Buffer.from(JSON.stringify(payload)) }));
    });
    expect(await feishu.ws.deliver(envelope)).toMatchObject({
      outcome: 'answered',
      code: 200,
      data: { toast: { type: 'info' } },
    });
    client.socket.terminate();
  }, 10_000);
});
