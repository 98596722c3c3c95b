/**
 * The endpoints the fake serves, as (HTTP method, path template) pairs, and matching of request
 * paths (and of the patterns tests pass to callsTo / waitForCall) against them.
 * Paths are the ones @larksuiteoapi/node-sdk 1.74 builds (`${domain}/open-apis/...`).
 */
import type { RecordedCall, RouteName } from './types.js';

export interface RouteSpec {
  name: RouteName;
  method: string;
  template: string;
}

export const ROUTES: readonly RouteSpec[] = [
  { name: 'auth.tenantAccessToken', method: 'POST', template: '/open-apis/auth/v3/tenant_access_token/internal' },
  { name: 'auth.appAccessToken', method: 'POST', template: '/open-apis/auth/v3/app_access_token/internal' },
  { name: 'bot.info', method: 'GET', template: '/open-apis/bot/v3/info' },
  { name: 'contact.user.get', method: 'GET', template: '/open-apis/contact/v3/users/:user_id' },
  { name: 'im.message.create', method: 'POST', template: '/open-apis/im/v1/messages' },
  { name: 'im.message.reply', method: 'POST', template: '/open-apis/im/v1/messages/:message_id/reply' },
  { name: 'im.message.update', method: 'PUT', template: '/open-apis/im/v1/messages/:message_id' },
  { name: 'im.message.patch', method: 'PATCH', template: '/open-apis/im/v1/messages/:message_id' },
  { name: 'im.message.delete', method: 'DELETE', template: '/open-apis/im/v1/messages/:message_id' },
  { name: 'im.messageReaction.create', method: 'POST', template: '/open-apis/im/v1/messages/:message_id/reactions' },
  {
    name: 'im.messageReaction.delete',
    method: 'DELETE',
    template: '/open-apis/im/v1/messages/:message_id/reactions/:reaction_id',
  },
  {
    name: 'im.messageResource.get',
    method: 'GET',
    template: '/open-apis/im/v1/messages/:message_id/resources/:file_key',
  },
  { name: 'ws.endpoint', method: 'POST', template: '/callback/ws/endpoint' },
  { name: 'cardkit.card.create', method: 'POST', template: '/open-apis/cardkit/v1/cards' },
  { name: 'cardkit.card.settings', method: 'PATCH', template: '/open-apis/cardkit/v1/cards/:card_id/settings' },
  { name: 'cardkit.card.update', method: 'PUT', template: '/open-apis/cardkit/v1/cards/:card_id' },
  { name: 'cardkit.cardElement.content', method: 'PUT', template: '/open-apis/cardkit/v1/cards/:card_id/elements/:element_id/content' },
  { name: 'cardkit.cardElement.update', method: 'PUT', template: '/open-apis/cardkit/v1/cards/:card_id/elements/:element_id' },
  { name: 'cardkit.cardElement.delete', method: 'DELETE', template: '/open-apis/cardkit/v1/cards/:card_id/elements/:element_id' },
];

const ROUTE_NAMES = new Set<string>(ROUTES.map((r) => r.name));

export function isRouteName(s: string): s is RouteName {
  return ROUTE_NAMES.has(s);
}

/** `/a/:x/b` → /^\/a\/([^/]+)\/b$/ plus the parameter names. */
export function compileTemplate(template: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  const source = template
    .split('/')
    .map((seg) => {
      if (seg.startsWith(':')) {
        names.push(seg.slice(1));
        return '([^/]+)';
      }
      return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { regex: new RegExp(`^${source}$`), names };
}

const COMPILED = ROUTES.map((r) => ({ ...r, ...compileTemplate(r.template) }));

/** The route for a request, with decoded path parameters; undefined when none matches. */
export function matchRoute(method: string, path: string): { route: RouteSpec; params: Record<string, string> } | undefined {
  for (const r of COMPILED) {
    if (r.method !== method) continue;
    const m = r.regex.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    r.names.forEach((n, i) => {
      params[n] = decodeURIComponent(m[i + 1] ?? '');
    });
    return { route: r, params };
  }
  return undefined;
}

/**
 * What tests may pass to select calls: a route name ('im.message.reply'), a path template
 * ('/open-apis/im/v1/messages/:message_id/reply', optionally prefixed with a method: 'DELETE /…'),
 * or a RegExp tested against `METHOD path`.
 */
export type CallPattern = RouteName | string | RegExp;

export function callMatcher(pattern: CallPattern): (call: RecordedCall) => boolean {
  if (pattern instanceof RegExp) return (c) => pattern.test(`${c.method} ${c.path}`) || pattern.test(c.path);
  if (isRouteName(pattern)) return (c) => c.route === pattern;
  const m = /^([A-Z]+)\s+(\/.*)$/.exec(pattern);
  const method = m?.[1];
  const { regex } = compileTemplate(m?.[2] ?? pattern);
  return (c) => (method === undefined || c.method === method) && regex.test(c.path);
}
