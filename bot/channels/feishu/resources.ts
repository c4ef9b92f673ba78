// The download of a file a user sent to the bot: 获取消息中的资源文件, `GET im/v1/messages/:message_id/
// resources/:file_key?type=image|file` (SDK `im.messageResource.get`), the only way to a user's image
// (https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/im-v1/message-resource/get): `type`
// image for an image (of an image or a post message), file for a file, an audio or a video (media); the
// file_key must belong to that message; resources up to 100 MB. An error is JSON `{code, msg}` with HTTP
// 4xx/5xx.
import type { Readable } from 'node:stream';
import {
  EvidenceRefused,
  FetchFailure,
  type FileFetcher,
  fileTooLarge,
  readCapped,
} from '../../core/evidence.ts';
import { BAD_TOKEN, type FeishuClient } from './sender.ts';

/** 234037: the resource is over the 100 MB the page allows (see the fake's FeishuErrorCode). */
const RESOURCE_TOO_LARGE = 234037;

/** The JSON a refusal carries in its (streamed) body. */
async function refusalOf(data: unknown): Promise<{ code?: number; msg?: string }> {
  try {
    const stream = data as AsyncIterable<Uint8Array> | undefined;
    if (!stream || typeof stream[Symbol.asyncIterator] !== 'function') return (data ?? {}) as object;
    return JSON.parse(Buffer.from(await readCapped(stream)).toString('utf8'));
  } catch {
    return {};
  }
}

export function feishuFetcher({ client, tokens }: FeishuClient): FileFetcher {
  return {
    async fetchFile(ref) {
      if (!ref.messageId) throw new FetchFailure('Feishu resource without its message id', false);
      let stream: Readable;
      try {
        const resource = await (await client()).im.messageResource.get({
          path: { message_id: ref.messageId, file_key: ref.key },
          params: { type: ref.kind },
        });
        stream = resource.getReadableStream();
      } catch (error) {
        const response = (error as { response?: { status?: number; data?: unknown } }).response;
        if (!response?.status) {
          throw new FetchFailure(
            `Feishu unreachable: ${error instanceof Error ? error.message : error}`,
            true,
          );
        }
        const { code, msg } = await refusalOf(response.data);
        // Over the 100 MB Feishu gives: far past our own cap, refused like a file read past it.
        if (code === RESOURCE_TOO_LARGE) throw fileTooLarge();
        const badToken = code !== undefined && BAD_TOKEN.has(code);
        if (badToken) tokens.clear();
        throw new FetchFailure(
          `Feishu HTTP ${response.status} ${code ?? ''} ${msg ?? ''}`.trim(),
          response.status === 429 || response.status >= 500 || badToken,
        );
      }
      try {
        return await readCapped(stream, () => stream.destroy());
      } catch (error) {
        if (error instanceof EvidenceRefused) throw error;
        throw new FetchFailure(`Feishu resource: ${error instanceof Error ? error.message : error}`, true);
      }
    },
  };
}
