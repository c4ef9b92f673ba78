// A fake S3-compatible bucket on 127.0.0.1 (path-style: /<bucket>/<key>), speaking PUT and GET Object and
// S3's XML errors, and checking every request's AWS Signature Version 4 by computing it again.
// - Signature V4 (header auth): https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
//   and https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
// - PutObject: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
// - GetObject: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
// - Error responses (XML `<Error><Code>`): https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeS3Options {
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  now?: () => number;
}

export interface FakeS3Call {
  method: string;
  path: string;
  status: number;
  code?: string;
}

/** S3 refuses a request whose x-amz-date is more than 15 minutes from its clock (RequestTimeTooSkewed). */
const MAX_SKEW_MS = 15 * 60 * 1000;

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
/** RFC 3986 encoding, as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ percent-encoded. */
const encode = (value: string) =>
  encodeURIComponent(value).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );

export class FakeS3 {
  readonly objects = new Map<string, { bytes: Uint8Array; contentType: string }>();
  readonly calls: FakeS3Call[] = [];
  #server: Server | undefined;
  #url: string | undefined;
  readonly #now: () => number;

  constructor(readonly options: FakeS3Options) {
    this.#now = options.now ?? Date.now;
  }

  get url(): string {
    if (!this.#url) throw new Error('FakeS3 is not started');
    return this.#url;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/xml' });
        res.end(`<Error><Code>InternalError</Code><Message>${String(error)}</Message></Error>`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#server = server;
    this.#url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const call: FakeS3Call = { method, path: url.pathname, status: 0 };
    this.calls.push(call);
    const fail = (status: number, code: string, message: string, extra = '') => {
      call.status = status;
      call.code = code;
      res.writeHead(status, { 'content-type': 'application/xml' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${extra}<RequestId>${randomBytes(8).toString('hex')}</RequestId></Error>`,
      );
    };

    const refusal = this.#checkSignature(req, url, body);
    if (refusal) return fail(refusal.status, refusal.code, refusal.message);

    const [, bucket, ...rest] = url.pathname.split('/');
    const key = rest.map((segment) => decodeURIComponent(segment)).join('/');
    if (decodeURIComponent(bucket ?? '') !== this.options.bucket) {
      return fail(404, 'NoSuchBucket', 'The specified bucket does not exist');
    }
    if (method === 'PUT' && key) {
      this.objects.set(key, {
        bytes: new Uint8Array(body),
        contentType: req.headers['content-type'] ?? 'binary/octet-stream',
      });
      call.status = 200;
      res.writeHead(200, { etag: `"${createHash('md5').update(body).digest('hex')}"` });
      res.end();
      return;
    }
    if (method === 'GET' && key) {
      const object = this.objects.get(key);
      if (!object) return fail(404, 'NoSuchKey', 'The specified key does not exist.', `<Key>${key}</Key>`);
      call.status = 200;
      res.writeHead(200, { 'content-type': object.contentType, 'content-length': object.bytes.byteLength });
      res.end(object.bytes);
      return;
    }
    return fail(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
  }

  /** Recomputes the request's SigV4 signature; the S3 error for a request that does not carry it right. */
  #checkSignature(req: IncomingMessage, url: URL, body: Buffer) {
    const authorization = req.headers.authorization ?? '';
    const match =
      /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
        authorization,
      );
    if (!match) return { status: 403, code: 'AccessDenied', message: 'Access Denied' };
    const [, accessKeyId, date, region, signedHeaders, signature] = match as unknown as string[];
    if (accessKeyId !== this.options.accessKeyId) {
      return {
        status: 403,
        code: 'InvalidAccessKeyId',
        message: 'The AWS Access Key Id you provided does not exist in our records.',
      };
    }
    if (region !== this.options.region) {
      return {
        status: 400,
        code: 'AuthorizationHeaderMalformed',
        message: `The authorization header is malformed; the region '${region}' is wrong; expecting '${this.options.region}'`,
      };
    }
    const amzDate = String(req.headers['x-amz-date'] ?? '');
    const at = Date.parse(
      amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
    );
    if (!amzDate.startsWith(date!) || Number.isNaN(at)) {
      return {
        status: 403,
        code: 'AccessDenied',
        message: 'X-Amz-Date is missing or does not match the credential',
      };
    }
    if (Math.abs(at - this.#now()) > MAX_SKEW_MS) {
      return {
        status: 403,
        code: 'RequestTimeTooSkewed',
        message: 'The difference between the request time and the current time is too large.',
      };
    }
    const payloadHash = String(req.headers['x-amz-content-sha256'] ?? '');
    if (!payloadHash) {
      return {
        status: 400,
        code: 'InvalidRequest',
        message: 'Missing required header for this request: x-amz-content-sha256',
      };
    }
    if (payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== sha256(body)) {
      return {
        status: 400,
        code: 'XAmzContentSHA256Mismatch',
        message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
      };
    }
    const names = signedHeaders!.split(';');
    if (!names.includes('host')) return { status: 403, code: 'AccessDenied', message: 'host must be signed' };
    const canonicalHeaders = names
      .map(
        (name) =>
          `${name}:${String(req.headers[name] ?? '')
            .trim()
            .replace(/\s+/g, ' ')}\n`,
      )
      .join('');
    const canonicalUri = url.pathname
      .split('/')
      .map((segment) => encode(decodeURIComponent(segment)))
      .join('/');
    const canonicalQuery = [...url.searchParams]
      .map(([name, value]) => [encode(name), encode(value)])
      .sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0))
      .map(([name, value]) => `${name}=${value}`)
      .join('&');
    const canonicalRequest = [
      req.method,
      canonicalUri,
      canonicalQuery,
      canonicalHeaders,
      signedHeaders,
      payloadHash,
    ].join('\n');
    const scope = `${date}/${region}/s3/aws4_request`;
    const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
    const key = hmac(
      hmac(hmac(hmac(`AWS4${this.options.secretAccessKey}`, date!), region!), 's3'),
      'aws4_request',
    );
    if (createHmac('sha256', key).update(stringToSign).digest('hex') !== signature) {
      return {
        status: 403,
        code: 'SignatureDoesNotMatch',
        message: 'The request signature we calculated does not match the signature you provided.',
      };
    }
    return undefined;
  }
}
