// The service's metrics, in process memory (one registry per process), and the Prometheus text
// exposition format they are scraped in (https://prometheus.io/docs/instrumenting/exposition_formats/):
// `# HELP` and `# TYPE` before a family's samples, label values with `\`, `"` and line feeds escaped,
// a histogram as cumulative `_bucket{le="…"}` samples ending with `le="+Inf"`, then `_sum` and `_count`.
// What the database knows (the inbox's and the outbox's backlog) is read when scraped (bot/app.ts), not
// kept here: every instance would count the same rows.

export type Labels = Record<string, string>;
type MetricType = 'counter' | 'gauge' | 'histogram';

export interface Sample {
  labels?: Labels;
  value: number;
}

/** One family as it is written: its name, help, type and samples (a histogram's already expanded). */
export interface Family {
  name: string;
  help: string;
  type: MetricType;
  /** Samples of a counter or gauge; a histogram's lines are given with their suffixes. */
  samples: Array<Sample & { suffix?: string }>;
}

const escapeHelp = (text: string) => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (text: string) => text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function formatLabels(labels: Labels | undefined): string {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return '';
  return `{${entries.map(([name, value]) => `${name}="${escapeLabel(value)}"`).join(',')}}`;
}

/** The exposition text of `families`, each line ending with a line feed (the last one too). */
export function exposition(families: Family[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      lines.push(
        `${family.name}${sample.suffix ?? ''}${formatLabels(sample.labels)} ${formatValue(sample.value)}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The content type of the format (version 0.0.4). */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const keyOf = (labels: Labels) => JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));

abstract class Metric {
  protected readonly series = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  protected entry(labels: Labels) {
    const key = keyOf(labels);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { labels: { ...labels }, value: 0 };
      this.series.set(key, entry);
    }
    return entry;
  }
  /** The value of one series (0 when never touched). */
  get(labels: Labels = {}): number {
    return this.series.get(keyOf(labels))?.value ?? 0;
  }
}

export class Counter extends Metric {
  inc(labels: Labels = {}, by = 1) {
    this.entry(labels).value += by;
  }
  family(): Family {
    const samples = [...this.series.values()].map(({ labels, value }) => ({ labels, value }));
    return { name: this.name, help: this.help, type: 'counter', samples };
  }
}

export class Gauge extends Metric {
  set(labels: Labels, value: number) {
    this.entry(labels).value = value;
  }
  family(): Family {
    const samples = [...this.series.values()].map(({ labels, value }) => ({ labels, value }));
    return { name: this.name, help: this.help, type: 'gauge', samples };
  }
}

export class Histogram {
  private readonly series = new Map<
    string,
    { labels: Labels; counts: number[]; sum: number; count: number }
  >();
  constructor(
    readonly name: string,
    readonly help: string,
    /** Upper bounds, ascending; `+Inf` is added. */
    readonly buckets: readonly number[],
  ) {}
  observe(labels: Labels, value: number) {
    const key = keyOf(labels);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { labels: { ...labels }, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, entry);
    }
    for (const [index, bound] of this.buckets.entries()) if (value <= bound) entry.counts[index]! += 1;
    entry.sum += value;
    entry.count += 1;
  }
  /** Observations of one series so far. */
  count(labels: Labels = {}): number {
    return this.series.get(keyOf(labels))?.count ?? 0;
  }
  family(): Family {
    const samples: Family['samples'] = [];
    for (const { labels, counts, sum, count } of this.series.values()) {
      for (const [index, bound] of this.buckets.entries()) {
        samples.push({ suffix: '_bucket', labels: { ...labels, le: String(bound) }, value: counts[index]! });
      }
      samples.push({ suffix: '_bucket', labels: { ...labels, le: '+Inf' }, value: count });
      samples.push({ suffix: '_sum', labels, value: sum });
      samples.push({ suffix: '_count', labels, value: count });
    }
    return { name: this.name, help: this.help, type: 'histogram', samples };
  }
}

const PREFIX = 'yigang';

/** The metrics counted as things happen, one set per process. Names are listed in the README (Monitoring). */
export const metrics = {
  platformRateLimited: new Counter(
    `${PREFIX}_platform_rate_limited_total`,
    'Sends a platform refused for a rate limit (429 or its own frequency code), by channel.',
  ),
  platformErrors: new Counter(
    `${PREFIX}_platform_errors_total`,
    'Sends that failed for any other reason (retried or given up), by channel.',
  ),
  outboxSent: new Counter(`${PREFIX}_outbox_sent_total`, 'Outbox messages sent by this process, by channel.'),
  outboxFailed: new Counter(
    `${PREFIX}_outbox_failed_total`,
    'Outbox messages given up by this process (status failed), by channel.',
  ),
  webhookShed: new Counter(
    `${PREFIX}_webhook_shed_total`,
    'Webhook requests the load gate refused (503 busy, 408 slow body, 413 too large).',
  ),
  webhookDuration: new Histogram(
    `${PREFIX}_webhook_duration_seconds`,
    'Time to answer a webhook request, by route.',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5],
  ),
  jobLastSuccess: new Gauge(
    `${PREFIX}_job_last_success_timestamp_seconds`,
    'When each scheduled job last finished without an error (Unix time).',
  ),
};

// A counter without labels is there from the start: a series that appears only at its first count is
// invisible to `rate()` and `increase()` until then.
metrics.webhookShed.inc({}, 0);

export { PREFIX as METRICS_PREFIX };
