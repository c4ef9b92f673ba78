// Starts the real service over HTTP on 127.0.0.1 against a shared test database and fake platforms.
import type { Wechaty } from 'wechaty';
import { type Logger, silentLogger } from '../../bot/core/log.ts';
import { parseConfig } from '../../bot/env.ts';
import { type HttpTimeouts, startHttpServer } from '../../bot/http-server.ts';
import { createService, type Service, type ServiceOptions } from '../../bot/service.ts';
import type { Database } from '../../db/client.ts';
import {
  FAKE_APP_SECRET,
  type FakeFeishu,
  type FakeFeishuOptions,
  startFakeFeishu,
} from '../fakes/feishu-api.ts';
import { FakeWecomApi, type FakeWecomApiOptions } from '../fakes/wecom-api.ts';
import { APP, type SignedRequest } from './feishu-events.ts';
import { WECOM_APP } from './wecom-events.ts';

export interface Harness {
  service: Service;
  feishu: FakeFeishu;
  /** The fake WeCom server API, when the harness was started with `wecom`. */
  wecom?: FakeWecomApi;
  url: string;
  /** Posts a webhook request; resolves once the events it put in the inbox are processed. */
  post(path: string, request: SignedRequest): Promise<Response>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  clock?: () => Date;
  /** Options of the fake Feishu server (its clock, to move the platform's time with the service's). */
  feishu?: FakeFeishuOptions;
  /** Also start a fake WeCom API and configure the WeCom channel (the test app of wecom-events.ts). */
  wecom?: boolean | FakeWecomApiOptions;
  /** A Wechaty bot (on wechaty-puppet-mock) to run as the Wechaty channel. */
  wechaty?: Wechaty;
  loadGate?: ServiceOptions['loadGate'];
  consoleBodyDeadlines?: ServiceOptions['consoleBodyDeadlines'];
  /** The Node server's header and request deadlines (bot/http-server.ts); tests make them short. */
  httpTimeouts?: HttpTimeouts;
  /**
   * More environment, over the defaults (FEISHU_MODE for a whole file's harness; a channel whose fake the
   * test file starts itself).
   */
  env?: Record<string, string>;
  /** Where the service logs (silent unless given). */
  log?: Logger;
}

export async function startHarness(
  database: Database,
  env: Record<string, string> = {},
  options: HarnessOptions = {},
): Promise<Harness> {
  const feishu = await startFakeFeishu(options.feishu);
  let wecom: FakeWecomApi | undefined;
  let wecomEnv: Record<string, string> = {};
  if (options.wecom) {
    wecom = new FakeWecomApi({
      corpId: WECOM_APP.corpId,
      corpSecret: WECOM_APP.secret,
      agentId: WECOM_APP.agentId,
      // The platform keeps the service's time: response_codes expire after 72 h of it.
      ...(options.clock ? { now: () => options.clock!().getTime() } : {}),
      ...(typeof options.wecom === 'object' ? options.wecom : {}),
    });
    await wecom.start();
    wecomEnv = {
      WECOM_CORP_ID: wecom.corpId,
      WECOM_AGENT_ID: String(WECOM_APP.agentId),
      WECOM_SECRET: wecom.corpSecret,
      WECOM_TOKEN: WECOM_APP.token,
      WECOM_ENCODING_AES_KEY: WECOM_APP.encodingAesKey,
      WECOM_API_BASE: wecom.url,
    };
  }
  const config = parseConfig({
    FEISHU_APP_ID: APP.appId,
    FEISHU_APP_SECRET: FAKE_APP_SECRET,
    FEISHU_VERIFICATION_TOKEN: APP.token,
    FEISHU_ENCRYPT_KEY: APP.encryptKey,
    FEISHU_DOMAIN: feishu.url,
    ...wecomEnv,
    ...env,
    ...options.env,
  });
  const service = await createService({
    config,
    log: options.log ?? silentLogger,
    database,
    clock: options.clock,
    wechaty: options.wechaty,
    loadGate: options.loadGate,
    consoleBodyDeadlines: options.consoleBodyDeadlines,
  });
  const { server, port } = await startHttpServer({
    fetch: service.app.fetch,
    port: 0,
    hostname: '127.0.0.1',
    timeouts: options.httpTimeouts,
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    service,
    feishu,
    wecom,
    url,
    async post(path, request) {
      const response = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: request.headers,
        body: request.body,
      });
      await service.inbox.idle();
      return response;
    },
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await service.close();
      await feishu.close();
      await wecom?.close();
    },
  };
}
