// The pieces of issue 21's monitoring that need no service: the Prometheus text format as written
// (https://prometheus.io/docs/instrumenting/exposition_formats/), the logger's levels and request
// context, and LOG_LEVEL / METRICS_TOKEN as bot/env.ts reads them.
import { describe, expect, it } from 'vitest';
import { createLogger, withLogContext, withoutLogContext } from '../bot/core/log.ts';
import { Counter, exposition, Gauge, Histogram } from '../bot/core/metrics.ts';
import { ConfigError, parseConfig } from '../bot/env.ts';

describe('the exposition format', () => {
  it('writes HELP and TYPE before the samples, escapes help and label values, ends with a line feed', () => {
    const counter = new Counter('demo_sends_total', 'Sends by channel.\nSecond line with a \\ backslash.');
    counter.inc({ channel: 'feishu' });
    counter.inc({ channel: 'feishu' }, 2);
    counter.inc({ channel: 'say "hi"\\\nbye' });
    const gauge = new Gauge('demo_up', 'Up.');
    gauge.set({}, 1);
    expect(exposition([counter.family(), gauge.family()])).toBe(
      [
        '# HELP demo_sends_total Sends by channel.\\nSecond line with a \\\\ backslash.',
        '# TYPE demo_sends_total counter',
        'demo_sends_total{channel="feishu"} 3',
        'demo_sends_total{channel="say \\"hi\\"\\\\\\nbye"} 1',
        '# HELP demo_up Up.',
        '# TYPE demo_up gauge',
        'demo_up 1',
        '',
      ].join('\n'),
    );
  });

  it('writes a histogram as cumulative buckets up to +Inf, then _sum and _count', () => {
    const histogram = new Histogram('demo_seconds', 'Latency.', [0.1, 1]);
    for (const value of [0.05, 0.1, 0.5, 3]) histogram.observe({ route: '/webhooks/feishu' }, value);
    expect(exposition([histogram.family()])).toBe(
      [
        '# HELP demo_seconds Latency.',
        '# TYPE demo_seconds histogram',
        'demo_seconds_bucket{route="/webhooks/feishu",le="0.1"} 2',
        'demo_seconds_bucket{route="/webhooks/feishu",le="1"} 3',
        'demo_seconds_bucket{route="/webhooks/feishu",le="+Inf"} 4',
        'demo_seconds_sum{route="/webhooks/feishu"} 3.65',
        'demo_seconds_count{route="/webhooks/feishu"} 4',
        '',
      ].join('\n'),
    );
  });

  it('keeps series apart by their labels, whatever their order', () => {
    const counter = new Counter('demo_total', 'Demo.');
    counter.inc({ a: '1', b: '2' });
    counter.inc({ b: '2', a: '1' });
    expect(counter.get({ a: '1', b: '2' })).toBe(2);
    expect(counter.family().samples).toHaveLength(1);
  });
});

describe('the logger', () => {
  const capture = (level?: 'debug' | 'info' | 'warn' | 'error') => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger((line) => lines.push(JSON.parse(line)), { level });
    return { lines, log };
  };

  it('writes one JSON object a line: time, level, msg, then the fields, secrets masked', () => {
    const { lines, log } = capture();
    log.info('sent', { channel: 'feishu', appSecret: 'x', eventKey: 'ev_1' });
    expect(lines).toEqual([
      {
        time: expect.any(String),
        level: 'info',
        msg: 'sent',
        channel: 'feishu',
        appSecret: '***',
        eventKey: 'ev_1',
      },
    ]);
    expect(Object.keys(lines[0]!).slice(0, 3)).toEqual(['time', 'level', 'msg']);
  });

  it('writes the level asked for and the more severe ones only (info by default)', () => {
    const byDefault = capture();
    const warn = capture('warn');
    const debug = capture('debug');
    for (const { log } of [byDefault, warn, debug]) {
      log.debug('d');
      log.info('i');
      log.warn('w');
      log.error('e');
    }
    expect(byDefault.lines.map((line) => line.level)).toEqual(['info', 'warn', 'error']);
    expect(warn.lines.map((line) => line.level)).toEqual(['warn', 'error']);
    expect(debug.lines.map((line) => line.level)).toEqual(['debug', 'info', 'warn', 'error']);
  });

  it('adds the request id to every line inside its context, across awaits, and not outside it', async () => {
    const { lines, log } = capture();
    await withLogContext({ requestId: 'r-1' }, async () => {
      log.info('first');
      await new Promise((resolve) => setTimeout(resolve, 5));
      log.info('after a timer');
      await withoutLogContext(async () => log.info('a loop the request only woke'));
    });
    log.info('outside');
    expect(lines.map((line) => [line.msg, line.requestId])).toEqual([
      ['first', 'r-1'],
      ['after a timer', 'r-1'],
      ['a loop the request only woke', undefined],
      ['outside', undefined],
    ]);
  });
});

describe('LOG_LEVEL and METRICS_TOKEN', () => {
  const errorOf = (env: Record<string, string>) => {
    try {
      parseConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    }
    throw new Error('expected a ConfigError');
  };

  it('reads LOG_LEVEL (info by default, any case) and refuses another word', () => {
    expect(parseConfig({}).logLevel).toBe('info');
    expect(parseConfig({ LOG_LEVEL: '' }).logLevel).toBe('info');
    expect(parseConfig({ LOG_LEVEL: 'Debug' }).logLevel).toBe('debug');
    expect(errorOf({ LOG_LEVEL: 'verbose' })).toContain(
      'LOG_LEVEL: must be one of: debug, info, warn, error',
    );
  });

  it('leaves /metrics off without METRICS_TOKEN and refuses a short or spaced one', () => {
    expect(parseConfig({}).metricsToken).toBeUndefined();
    expect(parseConfig({ METRICS_TOKEN: 'a'.repeat(32) }).metricsToken).toBe('a'.repeat(32));
    expect(errorOf({ METRICS_TOKEN: 'short' })).toContain('METRICS_TOKEN: must be at least 16 printable');
    expect(errorOf({ METRICS_TOKEN: 'with a space inside it' })).toContain('METRICS_TOKEN');
  });
});
