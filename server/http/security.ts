/**
 * What the server does against other web sites: which page origins may open sessions and post
 * uploads, and the headers every response carries.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerConfig } from '../config.js';

/**
 * The page loads its script and styles from this server and talks to it over /ws; it shows
 * uploaded images and the camera through blob: URLs and media streams. Nothing else is allowed,
 * and no other site may frame it. Lit's styles may fall back to <style> elements in older
 * browsers, hence inline styles (never scripts).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function setSecurityHeaders(response: ServerResponse, config: Pick<ServerConfig, 'hstsMaxAge'>): void {
  response.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
  response.setHeader('x-content-type-options', 'nosniff');
  response.setHeader('x-frame-options', 'DENY');
  response.setHeader('referrer-policy', 'no-referrer');
  response.setHeader('cross-origin-opener-policy', 'same-origin');
  response.setHeader('permissions-policy', 'camera=(self), microphone=(), geolocation=()');
  if (config.hstsMaxAge > 0) response.setHeader('strict-transport-security', `max-age=${config.hstsMaxAge}; includeSubDomains`);
}

/**
 * Whether a request may act on this server: a browser says which page sent it in Origin, and only
 * this server's own pages (same host) and the configured origins may. A request without Origin
 * comes from a script, k6 or curl, not from a page another site made a browser load.
 */
export function originAllowed(request: IncomingMessage, config: Pick<ServerConfig, 'allowedOrigins'>): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  const allowed = config.allowedOrigins
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  if (allowed.includes('*') || allowed.includes(origin)) return true;
  try {
    // "null" (sandboxed frames, file: pages) does not parse and is refused.
    return new URL(origin).host.toLowerCase() === (request.headers.host ?? '').toLowerCase();
  } catch {
    return false;
  }
}
