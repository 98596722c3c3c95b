/**
 * Route table of the web chat HTTP API (pure path matching).
 */

export type RouteName = 'page' | 'conversations' | 'messages' | 'events' | 'actions' | 'session';

export interface RouteMatch {
  name: RouteName;
  /** Methods the route answers; others get 405. */
  methods: readonly string[];
  /** Raw (still URL-encoded) conversation path segment, for `messages` and `session`. */
  conversation?: string;
}

const MESSAGES_PATH = /^\/api\/conversations\/([^/]+)\/messages$/;
const SESSION_PATH = /^\/api\/conversations\/([^/]+)\/session$/;

/** Matches a request path (without query); undefined → 404. A single trailing slash is ignored. */
export function matchRoute(pathname: string): RouteMatch | undefined {
  const path = pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
  if (path === '/' || path === '/index.html') return { name: 'page', methods: ['GET'] };
  if (path === '/api/conversations') return { name: 'conversations', methods: ['GET'] };
  if (path === '/api/events') return { name: 'events', methods: ['GET'] };
  if (path === '/api/actions') return { name: 'actions', methods: ['POST'] };
  const m = MESSAGES_PATH.exec(path);
  if (m?.[1] !== undefined) return { name: 'messages', methods: ['GET', 'POST'], conversation: m[1] };
  const s = SESSION_PATH.exec(path);
  if (s?.[1] !== undefined) return { name: 'session', methods: ['GET'], conversation: s[1] };
  return undefined;
}
