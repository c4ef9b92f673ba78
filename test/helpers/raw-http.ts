// HTTP/1.1 by hand over node:net, for what fetch cannot do: send the headers and part of a body, stall,
// drip, or close the socket mid-body — what a slow or hostile client does to the real Node server.
import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  /** The status the server answered, or undefined when it closed without answering. */
  status?: number;
  /** Milliseconds from the request's start to the answer (or the close). */
  afterMs: number;
  text: string;
}

export interface RawRequest {
  socket: Socket;
  /** Resolves on the first bytes of an answer, or when the connection closes without one. */
  answer: Promise<RawAnswer>;
  /** Writes body bytes; false when the socket's buffer is full (wait for 'drain'). */
  write(data: string | Uint8Array): boolean;
  close(): void;
  /** Bytes of body written so far. */
  readonly written: number;
}

export function rawRequest(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  firstBytes = '',
): RawRequest {
  const { host } = new URL(url);
  const head = Object.entries({ host, ...headers })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return rawConnection(url, `${method} ${path} HTTP/1.1\r\n${head}\r\n${firstBytes}`);
}

/** A connection to `url` that sends `bytes` as they are (a request line, some headers, part of a body). */
export function rawConnection(url: string, bytes: string): RawRequest {
  const { hostname, port } = new URL(url);
  const started = Date.now();
  const socket = connect(Number(port), hostname);
  socket.on('error', () => undefined);
  let received = '';
  let written = 0;
  const answer = new Promise<RawAnswer>((resolve) => {
    const finish = () => {
      const match = /^HTTP\/1\.1 (\d{3})/.exec(received);
      resolve({
        status: match ? Number(match[1]) : undefined,
        afterMs: Date.now() - started,
        text: received,
      });
    };
    socket.on('data', (chunk) => {
      received += chunk.toString('utf8');
      // The whole head is there: enough to know the answer.
      if (received.includes('\r\n\r\n')) setTimeout(finish, 20);
    });
    socket.on('close', finish);
  });
  socket.write(bytes);
  const write = (data: string | Uint8Array) => {
    if (socket.destroyed) return false;
    written += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    return socket.write(data);
  };
  return {
    socket,
    answer,
    write,
    close: () => socket.destroy(),
    get written() {
      return written;
    },
  };
}

/** One chunk of a `Transfer-Encoding: chunked` body (RFC 9112 §7.1). */
export const chunk = (data: Uint8Array | string) => {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n')]);
};

/** Writes chunks of `size` bytes until the server answers or `limit` bytes are out; never ends the body. */
export async function floodChunked(request: RawRequest, limit: number, size = 64 * 1024): Promise<RawAnswer> {
  let answered: RawAnswer | undefined;
  void request.answer.then((answer) => {
    answered = answer;
  });
  const piece = chunk(new Uint8Array(size).fill(0x61));
  while (!answered && request.written < limit && !request.socket.destroyed) {
    if (!request.write(piece)) {
      // A server that stopped reading never drains: the answer (or the close) ends the wait too.
      await Promise.race([new Promise((resolve) => request.socket.once('drain', resolve)), request.answer]);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  return request.answer;
}
