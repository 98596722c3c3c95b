/**
 * Decoding of Web API requests as the WebClient (and hand-written clients) send them:
 * `application/x-www-form-urlencoded` (the WebClient's default), JSON, multipart (uploads), or a GET
 * query string; plus the token, from `Authorization: Bearer …` or a `token` field.
 */
import type { IncomingMessage } from 'node:http';

/** Fields the WebClient JSON-encodes inside form bodies; decoded back so tests can inspect them. */
const JSON_FIELDS = new Set(['blocks', 'attachments', 'metadata', 'files', 'file_uploads', 'unfurls', 'user_auth_blocks', 'chunks']);

export class BadRequestBody extends Error {}

export async function readRawBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function decodeJsonFields(fields: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(fields)) {
    if (JSON_FIELDS.has(key) && typeof value === 'string' && /^\s*[[{]/.test(value)) {
      try {
        fields[key] = JSON.parse(value);
      } catch {
        // leave it as sent: the handler may reject it
      }
    }
  }
  return fields;
}

function fromSearchParams(params: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of params) out[k] = v;
  return out;
}

/** Parses the body (or, for GET, the query string). Throws BadRequestBody on undecodable JSON. */
export async function parseApiBody(req: IncomingMessage, raw: Buffer, url: URL): Promise<Record<string, unknown>> {
  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  const fields = fromSearchParams(url.searchParams);
  if (raw.length === 0) return decodeJsonFields(fields);
  if (contentType.startsWith('application/json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch (e) {
      throw new BadRequestBody(`invalid JSON body: ${(e as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new BadRequestBody('JSON body must be an object');
    }
    return { ...fields, ...(parsed as Record<string, unknown>) };
  }
  if (contentType.startsWith('multipart/form-data')) {
    const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
    for (const [k, v] of form) fields[k] = typeof v === 'string' ? v : { filename: v.name, size: v.size };
    return decodeJsonFields(fields);
  }
  // Slack treats anything else as a form body, and so do we.
  Object.assign(fields, fromSearchParams(new URLSearchParams(raw.toString('utf8'))));
  return decodeJsonFields(fields);
}

/** The bearer token, else a `token` field of the body. */
export function extractToken(req: IncomingMessage, body: Record<string, unknown>): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m?.[1]) return m[1];
  }
  return typeof body.token === 'string' && body.token !== '' ? body.token : undefined;
}
