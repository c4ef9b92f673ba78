// The download of a file received by the WeCom app: 获取临时素材 (media/get) by its MediaId. A received
// MediaId is valid for 3 days (https://developer.work.weixin.qq.com/document/path/90254); after that WeCom
// answers 40007 invalid media_id, which no retry mends.
import type { DeliveryError } from '../../core/delivery.ts';
import { EvidenceRefused, FetchFailure, type FileFetcher, readCapped } from '../../core/evidence.ts';
import { type WecomApi, WecomApiError } from './api.ts';

/** 40007: invalid media_id (expired, or not of this corp). */
const INVALID_MEDIA = 40007;

export function wecomFetcher(api: WecomApi): FileFetcher {
  return {
    async fetchFile(ref) {
      let response: Response;
      try {
        response = await api.download('/cgi-bin/media/get', { media_id: ref.key });
      } catch (error) {
        const failure = error as DeliveryError;
        const retryable =
          !(error instanceof WecomApiError && error.errcode === INVALID_MEDIA) && failure.retryable !== false;
        throw new FetchFailure(failure.message ?? String(error), retryable);
      }
      if (!response.body) throw new FetchFailure('WeCom media/get: an empty answer', true);
      try {
        return await readCapped(response.body, () => void response.body?.cancel().catch(() => {}));
      } catch (error) {
        if (error instanceof EvidenceRefused) throw error;
        throw new FetchFailure(`WeCom media/get: ${error instanceof Error ? error.message : error}`, true);
      }
    },
  };
}
