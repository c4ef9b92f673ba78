// The official Feishu SDK, loaded when first needed. It is one 6 MB file: loading it costs about 0.5–1 s of
// CPU and 65 MiB of resident memory (measured, bench/start.ts), which a start would otherwise spend before
// answering anything, and a service whose Feishu stays quiet would keep for nothing. Webhooks are verified
// and answered without it (./crypto.ts, ./webhook.ts); the first call to Feishu loads it.
import type * as Lark from '@larksuiteoapi/node-sdk';

let loading: Promise<typeof Lark> | undefined;

export const loadLark = (): Promise<typeof Lark> => {
  loading ??= import('@larksuiteoapi/node-sdk');
  return loading;
};
