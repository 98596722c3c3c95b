/**
 * Slack message text → the plain text the agent sees. Pure functions; user names come from a
 * lookup the caller passes in.
 *
 * Slack facts (api.slack.com/reference/surfaces/formatting, "Retrieving messages"): message text
 * carries control sequences in angle brackets — `<@U123>` / `<@U123|name>` user mentions,
 * `<#C123|general>` channel links, `<!here>` / `<!channel>` / `<!everyone>`,
 * `<!subteam^S123|@team>`, `<!date^…|fallback>`, `<https://x|label>` / `<mailto:a@b|a@b>` links —
 * and `&`, `<`, `>` in literal text arrive escaped as `&amp;`, `&lt;`, `&gt;`.
 */

/** Display name of a Slack user id, or undefined when unknown (the id is shown instead). */
export type UserNameLookup = (userId: string) => Promise<string | undefined>;

/** One control sequence or escaped entity (single pass, so `&amp;lt;` becomes `&lt;`, not `<`). */
const TOKEN = /<([^<>\n]*)>|&(amp|lt|gt);/g;
const USER_TOKEN = /<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>' };

const unescapeEntities = (s: string): string => s.replace(/&(amp|lt|gt);/g, (_, e: string) => ENTITIES[e] ?? _);

/** User ids mentioned in `text` (`<@U…>` / `<@W…>`), in order, without duplicates. */
export function mentionedUserIds(text: string): string[] {
  return [...new Set([...text.matchAll(USER_TOKEN)].map((m) => m[1]!))];
}

/** True when `text` mentions the user `botUserId`. */
export function mentionsUser(text: string, botUserId: string): boolean {
  return mentionedUserIds(text).includes(botUserId);
}

/**
 * Rewrites Slack's control sequences synchronously, given the names of mentioned users:
 * the bot's own mention is removed; other users become `@name` (`@U123` when unknown);
 * `<#C1|general>` → `#general`; `<!here>` → `@here`; `<url|text>` → `text (url)` (just the URL when the
 * label only repeats it, as Slack's auto-links do); entities are unescaped. Whitespace left by the
 * removed mention is collapsed and the result trimmed.
 */
export function rewriteSlackText(text: string, botUserId: string, names: ReadonlyMap<string, string>): string {
  const out = text.replace(TOKEN, (whole, inner: string | undefined, entity: string | undefined) => {
    if (entity !== undefined) return ENTITIES[entity] ?? whole;
    return rewriteToken(inner ?? '', botUserId, names);
  });
  return out
    .replace(/(^|\n)[ \t]*\uE000[ \t]*/g, '$1')
    .replace(/[ \t]*\uE000[ \t]*(?=\n|$)/g, '')
    .replace(/[ \t]*\uE000[ \t]*/g, ' ')
    .trim();
}

/** The bot's own mention becomes this placeholder (a private-use character), so the spaces around it can be collapsed. */
const REMOVED = '\uE000';

function rewriteToken(inner: string, botUserId: string, names: ReadonlyMap<string, string>): string {
  const bar = inner.indexOf('|');
  const target = bar >= 0 ? inner.slice(0, bar) : inner;
  const label = bar >= 0 ? unescapeEntities(inner.slice(bar + 1)) : undefined;
  switch (target[0]) {
    case '@': {
      const id = target.slice(1);
      if (id === botUserId) return REMOVED;
      return `@${names.get(id) ?? (label && label !== '' ? label : id)}`;
    }
    case '#':
      return `#${label && label !== '' ? label : target.slice(1)}`;
    case '!': {
      const name = target.slice(1);
      if (name === 'here' || name === 'channel' || name === 'everyone') return `@${name}`;
      if (label !== undefined && label !== '') return label;
      return name.startsWith('subteam^') ? '@group' : `@${name}`;
    }
    default:
      return rewriteLink(unescapeEntities(target), label);
  }
}

function rewriteLink(url: string, label: string | undefined): string {
  const bare = url.replace(/^mailto:/, '');
  if (label === undefined || label === '') return bare;
  const withoutScheme = url.replace(/^[a-z][a-z0-9+.-]*:(\/\/)?/i, '');
  if (label === url || label === bare || label === withoutScheme) return url.startsWith('mailto:') ? bare : url;
  return `${label} (${url})`;
}

/** A file object of a Slack message event (the fields used here). */
export interface SlackFileLike {
  id?: string;
  name?: string | null;
  title?: string | null;
  permalink?: string;
  url_private?: string;
}

/**
 * One line per attached file, `[file: report.pdf — https://…/permalink]` (the link omitted when
 * Slack sent none). Files are not downloaded: the agent gets the name and the permalink only.
 */
export function fileLines(files: readonly SlackFileLike[] | undefined): string[] {
  return (files ?? []).map((f) => {
    const name = f.name || f.title || f.id || 'unnamed file';
    const link = f.permalink ?? f.url_private;
    return link ? `[file: ${name} — ${link}]` : `[file: ${name}]`;
  });
}

/**
 * The agent's text for a Slack message: control sequences rewritten (user names looked up, at
 * most once per id) and file lines appended.
 */
export async function renderInboundText(text: string, files: readonly SlackFileLike[] | undefined, botUserId: string, lookup: UserNameLookup): Promise<string> {
  const ids = mentionedUserIds(text).filter((id) => id !== botUserId);
  const resolved = await Promise.all(ids.map(async (id) => [id, await lookup(id).catch(() => undefined)] as const));
  const names = new Map<string, string>();
  for (const [id, name] of resolved) if (name) names.set(id, name);
  const body = rewriteSlackText(text, botUserId, names);
  const lines = fileLines(files);
  return [body, ...lines].filter((s) => s !== '').join('\n');
}
