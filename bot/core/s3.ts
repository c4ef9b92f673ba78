// The S3-compatible bucket evidence may be kept in (MinIO, Aliyun OSS, Cloudflare R2): PUT and GET of one
// object, signed with AWS Signature Version 4 by aws4fetch (it runs on Node and on Workers alike).
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
import { AwsClient } from 'aws4fetch';

export interface S3Options {
  /** The service's base URL, e.g. `https://<account>.r2.cloudflarestorage.com` or `http://127.0.0.1:9000`. */
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface S3Bucket {
  put(key: string, bytes: Uint8Array, contentType: string, sha256: string): Promise<void>;
  /** The object's bytes, or null when there is none under this key (NoSuchKey). */
  get(key: string): Promise<Uint8Array | null>;
}

/** A refusal of the bucket, with S3's error code (`SignatureDoesNotMatch`, `NoSuchBucket`…) when it gave one. */
export class S3Error extends Error {
  override name = 'S3Error';
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

export function createS3Bucket(options: S3Options, fetcher: typeof fetch = fetch): S3Bucket {
  const client = new AwsClient({
    accessKeyId: options.accessKeyId,
    secretAccessKey: options.secretAccessKey,
    service: 's3',
    region: options.region,
  });
  // Path-style addressing (`endpoint/bucket/key`): MinIO and R2 take it, OSS and AWS as well.
  const base = `${options.endpoint.replace(/\/+$/, '')}/${encodeURIComponent(options.bucket)}/`;
  const url = (key: string) => base + key.split('/').map(encodeURIComponent).join('/');

  async function send(key: string, init: RequestInit): Promise<Response> {
    const request = await client.sign(url(key), init);
    return fetcher(request);
  }

  async function failure(response: Response, what: string): Promise<S3Error> {
    const body = await response.text().catch(() => '');
    const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
    return new S3Error(`S3 ${what}: ${response.status}${code ? ` ${code}` : ''}`, response.status, code);
  }

  return {
    async put(key, bytes, contentType, sha256) {
      const response = await send(key, {
        method: 'PUT',
        body: bytes,
        // The payload's hash, signed: the bucket refuses bytes altered on the way (XAmzContentSHA256Mismatch).
        headers: { 'content-type': contentType, 'x-amz-content-sha256': sha256 },
      });
      if (!response.ok) throw await failure(response, `PUT ${key}`);
      await response.body?.cancel();
    },
    async get(key) {
      const response = await send(key, { method: 'GET' });
      if (response.status === 404) {
        const error = await failure(response, `GET ${key}`);
        if (error.code === 'NoSuchKey') return null;
        throw error;
      }
      if (!response.ok) throw await failure(response, `GET ${key}`);
      return new Uint8Array(await response.arrayBuffer());
    },
  };
}
