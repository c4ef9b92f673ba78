// A minimal browser for the web console over HTTP: a cookie jar, url-encoded and multipart forms, no
// redirects followed (so each step is checked), and the CSRF token of a page. Free of vitest, so the
// benchmarks drive the console with it too.

import { request as httpRequest } from 'node:http';

export type Fetch = (path: string, init?: RequestInit) => Response | Promise<Response>;

/** Fetches paths over real HTTP from a base URL known only later (a harness started in beforeAll). */
export const fetchFrom =
  (base: () => string): Fetch =>
  (path, init) =>
    fetch(`${base()}${path}`, init);

/**
 * Like fetchFrom, but the connection comes from another loopback address (127.0.0.2, 127.0.0.3, …): a
 * second client as the server's socket sees it.
 */
export const fetchFromAddress =
  (base: () => string, localAddress: string): Fetch =>
  async (path, init) => {
    const outgoing = new Request(`${base()}${path}`, init);
    const body = Buffer.from(await outgoing.arrayBuffer());
    const url = new URL(outgoing.url);
    return new Promise<Response>((resolve, reject) => {
      const sent = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname + url.search,
          method: outgoing.method,
          headers: Object.fromEntries(outgoing.headers),
          localAddress,
        },
        (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('error', reject);
          incoming.on('end', () => {
            const headers = new Headers();
            for (let at = 0; at < incoming.rawHeaders.length; at += 2) {
              headers.append(incoming.rawHeaders[at]!, incoming.rawHeaders[at + 1]!);
            }
            const status = incoming.statusCode ?? 500;
            resolve(
              new Response(status === 204 || status === 304 ? null : Buffer.concat(chunks), {
                status,
                headers,
              }),
            );
          });
        },
      );
      sent.on('error', reject);
      sent.end(body);
    });
  };

export class Browser {
  readonly cookies = new Map<string, string>();
  constructor(private readonly fetcher: Fetch) {}

  private store(response: Response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      const name = pair!.slice(0, at).trim();
      const value = pair!.slice(at + 1).trim();
      if (value === '' || /max-age=0\b/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  private cookieHeader() {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async get(path: string, headers: Record<string, string> = {}) {
    const response = await this.fetcher(path, {
      redirect: 'manual',
      headers: { cookie: this.cookieHeader(), ...headers },
    });
    this.store(response);
    return response;
  }

  async post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
    const response = await this.fetcher(path, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie: this.cookieHeader(),
        'content-type': 'application/x-www-form-urlencoded',
        ...headers,
      },
      body: new URLSearchParams(fields).toString(),
    });
    this.store(response);
    return response;
  }

  /** A multipart form with one file, as a browser sends `<input type="file">`. */
  async upload(path: string, fields: Record<string, string>, file: { name: string; bytes: Uint8Array }) {
    const body = new FormData();
    for (const [name, value] of Object.entries(fields)) body.append(name, value);
    body.append('file', new File([file.bytes], file.name, { type: 'application/octet-stream' }));
    const response = await this.fetcher(path, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: this.cookieHeader() },
      body,
    });
    this.store(response);
    return response;
  }

  async page(path: string) {
    const response = await this.get(path);
    return { response, html: await response.text() };
  }
}

export const unescapeHtml = (value: string) =>
  value
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');

/** The CSRF token of a page's forms. */
export function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no CSRF token on the page');
  return unescapeHtml(match[1]!);
}

/** Tables of a page, as text. */
export const stripTags = (html: string) => html.replace(/<[^>]+>/g, '').trim();

/** The cells of the table row whose first cell is `name`. */
export function rowOf(html: string, name: string): string[] {
  for (const row of html.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)) {
    const cells = [...row[1]!.matchAll(/<t[dh][^>]*>([\s\S]*?)<\/t[dh]>/g)].map((m) => stripTags(m[1]!));
    if (cells[0] === name) return cells;
  }
  throw new Error(`no row ${name}`);
}

export function headerOf(html: string): string[] {
  const head = /<thead>([\s\S]*?)<\/thead>/.exec(html)!;
  return [...head[1]!.matchAll(/<th[^>]*>([\s\S]*?)<\/th>/g)].map((m) => stripTags(m[1]!));
}

export const cellByHeader = (html: string, name: string, header: string) =>
  rowOf(html, name)[headerOf(html).indexOf(header)];
