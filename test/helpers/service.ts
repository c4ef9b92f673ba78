// Starts the real service over HTTP on 127.0.0.1 against a shared test database and fake platforms.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { silentLogger } from '../../bot/core/log.ts';
import { parseConfig } from '../../bot/env.ts';
import { createService, type Service } from '../../bot/service.ts';
import type { Database } from '../../db/client.ts';
import { FAKE_APP_SECRET, type FakeFeishu, startFakeFeishu } from '../fakes/feishu-api.ts';
import { APP, type SignedRequest } from './feishu-events.ts';

export interface Harness {
  service: Service;
  feishu: FakeFeishu;
  url: string;
  post(path: string, request: SignedRequest): Promise<Response>;
  close(): Promise<void>;
}

export async function startHarness(
  database: Database,
  env: Record<string, string> = {},
  options: { clock?: () => Date } = {},
): Promise<Harness> {
  const feishu = await startFakeFeishu();
  const config = parseConfig({
    FEISHU_APP_ID: APP.appId,
    FEISHU_APP_SECRET: FAKE_APP_SECRET,
    FEISHU_VERIFICATION_TOKEN: APP.token,
    FEISHU_ENCRYPT_KEY: APP.encryptKey,
    FEISHU_DOMAIN: feishu.url,
    ...env,
  });
  const service = await createService({ config, log: silentLogger, database, clock: options.clock });
  const server = serve({ fetch: service.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    service,
    feishu,
    url,
    post: (path, request) =>
      fetch(`${url}${path}`, { method: 'POST', headers: request.headers, body: request.body }),
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await service.close();
      await feishu.close();
    },
  };
}
