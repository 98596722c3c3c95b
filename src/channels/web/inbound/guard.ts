/**
 * Request origin checks for the web chat: a page on another site must not post into it (CSRF),
 * and on loopback, where it needs no access token, a foreign host name resolving to loopback must
 * not reach it (DNS rebinding). Off loopback the access token (./auth.ts) guards every request.
 */
import { isLoopbackHost } from '../../../http/loopback.js';

/** Host name of a `Host` header value (`name:port`, `[v6]:port`), lower-cased. */
function hostName(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

/**
 * When listening on loopback, only loopback host names are accepted in `Host`.
 * Other listen addresses accept any host: they require the access token instead (config schema).
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
