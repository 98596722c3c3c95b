/**
 * `POST /completions` on the admin socket: an external agent delivers a completion.
 *
 * Body (JSON): `{dispatcher, id, text, status?, teammate?, origin?: {channel, conversation, thread?, messageId?}}`.
 * Answers: 202 `{status:'submitted', position}` · 200 `{status:'duplicate', state}` ·
 * 400 `{status:'failed', error}` (bad JSON or fields) · 404 unknown dispatcher ·
 * 413 body too large · 503 `{status:'stopped'}` · 503 `{status:'not_stored', error}` (the state is not
 * writable: nothing was kept; send it again later).
 */
import { readBodyText } from '../http/json.js';
import type http from 'node:http';
import { z } from 'zod';
import type { CompletionInput } from '../dispatch/completions.js';
import type { AdminPort } from './port.js';

const bodySchema = z
  .object({
    dispatcher: z.string().min(1),
    id: z.string().min(1),
    text: z.string(),
    status: z.enum(['completed', 'failed', 'interrupted']).optional(),
    teammate: z.string().min(1).optional(),
    origin: z
      .object({
        channel: z.string().min(1),
        conversation: z.string().min(1),
        thread: z.string().min(1).optional(),
        /** Message to answer under; default: the thread. */
        messageId: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type CompletionRequestBody = z.input<typeof bodySchema>;

type Reply = (status: number, body: unknown) => void;

export async function handleCompletion(req: http.IncomingMessage, reply: Reply, service: AdminPort): Promise<void> {
  // Room for JSON escaping of the largest accepted text.
  const raw = await readBodyText(req, service.completionMaxBytes * 2 + 64 * 1024);
  if (raw === null) return reply(413, { status: 'failed', error: 'body too large' });
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return reply(400, { status: 'failed', error: 'body is not valid JSON' });
  }
  const parsed = bodySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return reply(400, { status: 'failed', error: `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}` });
  }
  const b = parsed.data;
  const known = service.dispatcherIds();
  if (!known.includes(b.dispatcher)) return reply(404, { status: 'failed', error: `unknown dispatcher "${b.dispatcher}"; known: ${known.join(', ')}` });
  if (b.origin && !service.hasChannel(b.origin.channel)) {
    return reply(400, { status: 'failed', error: `origin.channel: unknown channel "${b.origin.channel}"` });
  }
  const input: CompletionInput = { id: b.id, text: b.text };
  if (b.status) input.status = b.status;
  if (b.teammate) input.teammate = b.teammate;
  if (b.origin) {
    input.origin = { channelId: b.origin.channel, conversation: b.origin.conversation, messageId: b.origin.messageId ?? b.origin.thread ?? '' };
    if (b.origin.thread) input.origin.thread = b.origin.thread;
  }
  const result = await service.deliverCompletion(b.dispatcher, input);
  if (result === null) return reply(404, { status: 'failed', error: `unknown dispatcher "${b.dispatcher}"` });
  const status = { submitted: 202, duplicate: 200, failed: 400, not_stored: 503, stopped: 503 }[result.status];
  reply(status, result);
}
