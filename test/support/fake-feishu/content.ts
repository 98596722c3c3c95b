/**
 * Validation of outgoing message bodies (`msg_type` + `content`, a JSON *string*), so adapter bugs
 * surface as Feishu-style errors instead of passing silently. Only the shape is checked, loosely.
 * Error codes: 230001 (invalid parameter) and 230025 (content too long) — the fake's choice based on
 * public reports; the limits are Feishu's documented request-body limits (text 150 KB, post/card 30 KB).
 */

export interface ContentError {
  code: number;
  msg: string;
}

export const MSG_TYPES = new Set(['text', 'post', 'image', 'file', 'audio', 'media', 'sticker', 'interactive', 'share_chat', 'share_user', 'system']);

const TEXT_LIMIT = 150 * 1024;
const RICH_LIMIT = 30 * 1024;

const invalid = (why: string): ContentError => ({ code: 230001, msg: `Your request contains an invalid request parameter, ${why}.` });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A post body is `{title?, content: [[element…]…]}`, either bare or under a locale key (zh_cn, en_us, …). */
function validatePost(parsed: Record<string, unknown>): ContentError | undefined {
  const bodies = Array.isArray(parsed.content) ? [parsed] : Object.values(parsed);
  if (bodies.length === 0) return invalid('post content is empty');
  for (const body of bodies) {
    if (!isObject(body) || !Array.isArray(body.content)) return invalid('post locale body needs a content array');
    for (const paragraph of body.content) {
      if (!Array.isArray(paragraph)) return invalid('post paragraphs must be arrays');
      for (const el of paragraph) {
        if (!isObject(el) || typeof el.tag !== 'string') return invalid('post elements need a tag');
      }
    }
  }
  return undefined;
}

export function validateContent(msgType: unknown, content: unknown): ContentError | undefined {
  if (typeof msgType !== 'string' || !MSG_TYPES.has(msgType)) return invalid(`unknown msg_type ${String(msgType)}`);
  if (typeof content !== 'string') return invalid('content must be a JSON string');
  const bytes = Buffer.byteLength(content, 'utf8');
  if (bytes > (msgType === 'text' ? TEXT_LIMIT : RICH_LIMIT)) {
    return { code: 230025, msg: `The message content is too long (${bytes} bytes).` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    return invalid('content is not valid JSON');
  }
  if (!isObject(parsed)) return invalid('content must encode a JSON object');
  switch (msgType) {
    case 'text':
      return typeof parsed.text === 'string' ? undefined : invalid('text content needs a text string');
    case 'post':
      return validatePost(parsed);
    case 'image':
      return typeof parsed.image_key === 'string' ? undefined : invalid('image content needs image_key');
    case 'file':
      return typeof parsed.file_key === 'string' ? undefined : invalid('file content needs file_key');
    default:
      return undefined;
  }
}
