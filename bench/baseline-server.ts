// The ingest baseline: a bare node:http server that does only what no webhook can skip — read the body,
// verify the signature, decrypt, parse — and answers 200. No framework, no database.
// Usage: node --import tsx bench/baseline-server.ts <port> <encrypt key>
import { createServer } from 'node:http';
import { decryptFeishu, verifyFeishuSignature } from '../bot/channels/feishu/crypto.ts';

const [port, encryptKey] = process.argv.slice(2) as [string, string];

createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const raw = Buffer.concat(chunks).toString('utf8');
    const header = (name: string) => request.headers[name] as string | undefined;
    const signed = verifyFeishuSignature(
      {
        timestamp: header('x-lark-request-timestamp'),
        nonce: header('x-lark-request-nonce'),
        signature: header('x-lark-signature'),
      },
      encryptKey,
      raw,
    );
    let status = signed ? 200 : 401;
    if (signed) {
      try {
        JSON.parse(decryptFeishu(encryptKey, (JSON.parse(raw) as { encrypt: string }).encrypt));
      } catch {
        status = 400;
      }
    }
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end('{}');
  });
}).listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'));
