/**
 * The path of a request target, parsed without throwing: the target is whatever the client sent
 * (`//localhost:99999/`, `//[/`, `*`), and `new URL` throws on many of them.
 */
export function requestPath(target: string | undefined): string | null {
  if (!target) return null;
  // Origin-form ("/ws?x=1") is what browsers send; absolute-form ("http://host/ws") is what
  // proxies may send and HTTP/1.1 servers must accept. A target starting "//" would be read as
  // a host, not a path.
  const absolute = /^https?:\/\//i.test(target);
  if (!absolute && (!target.startsWith('/') || target.startsWith('//'))) return null;
  try {
    return new URL(target, 'http://localhost').pathname;
  } catch {
    return null;
  }
}
