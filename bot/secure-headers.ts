// The security headers of every answer, from Hono's secure-headers middleware
// (https://hono.dev/docs/middleware/builtin/secure-headers). Strict-Transport-Security is left to the
// TLS terminator in front: the service itself often runs on plain HTTP inside a school's network, and
// an HSTS with includeSubDomains sent through a proxy would bind every host of the school's domain.
import { NONCE, secureHeaders } from 'hono/secure-headers';

const COMMON = {
  strictTransportSecurity: false,
  xFrameOptions: 'DENY',
  referrerPolicy: 'same-origin',
} as const;

/**
 * Every route: no sniffing, no framing, nothing loaded by a JSON or text answer. Headers an inner
 * handler set (the console's, a download's) are kept.
 */
export const baseSecureHeaders = secureHeaders({
  ...COMMON,
  contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  // What only a browser rendering a page uses is the console's; a platform's callback gets the few above.
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
  overwrite: false,
});

/**
 * The console's pages: their inline script and style carry the request's nonce (`c.var.secureHeadersNonce`,
 * bot/console/layout.ts), the stylesheet and photos are the site's own, forms post only to it.
 */
export const consoleSecureHeaders = secureHeaders({
  ...COMMON,
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    styleSrc: ["'self'", NONCE],
    scriptSrc: [NONCE],
    imgSrc: ["'self'", 'data:'],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
  },
  // A header a route set itself stays (a photo's stricter `sandbox` policy).
  overwrite: false,
});
