/**
 * Request origin checks for the local web chat, which has no authentication:
 * a page on another site must not post into it (CSRF), and a foreign host
 * name resolving to loopback must not reach it (DNS rebinding).
 */

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** True for listen hosts that only accept local connections. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_NAMES.has(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Host name of a `Host` header value (`name:port`, `[v6]:port`), lower-cased. */
function hostName(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

/**
 * When listening on loopback, only loopback host names are accepted in `Host`.
 * Other listen addresses accept any host (the operator chose to expose it).
 */
export function isAllowedHost(hostHeader: string | undefined, listenHost: string): boolean {
  if (!isLoopbackHost(listenHost)) return true;
  if (hostHeader === undefined || hostHeader === '') return false;
  const name = hostName(hostHeader);
  return isLoopbackHost(name) || name === listenHost.toLowerCase();
}

/**
 * A request carrying an `Origin` header must come from the page itself
 * (origin host equal to the `Host` header). Requests without `Origin`
 * (curl, server-side clients, same-origin GETs) pass.
 */
export function isAllowedOrigin(origin: string | undefined, hostHeader: string | undefined): boolean {
  if (origin === undefined) return true;
  if (hostHeader === undefined) return false;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host.toLowerCase() === hostHeader.trim().toLowerCase();
  } catch {
    return false; // includes the opaque origin "null"
  }
}
