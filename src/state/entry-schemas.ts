/**
 * zod schemas of the entries of `state.json` that the service reads field by field: queue entries,
 * completion records, session records, failed replies, approval records and teammate records
 * (types.ts). An entry that fails its schema is quarantined on open (quarantine.ts) instead of
 * crashing the code that reads it.
 *
 * Objects are loose: unknown keys pass (a newer version may add some). Each schema's output is
 * checked against its type (`satisfies`), so a field the type requires cannot be forgotten here.
 */
import { z } from 'zod';
import type { ApprovalRecord, CompletionRecord, FailedReply, QueuedTurn, SessionRecord, TeammateRecord } from './types.js';

const str = z.string();
const num = z.number();
const nullableStr = str.nullable();
const nullableNum = num.nullable();

const address = z.looseObject({ channelId: str, conversation: str, thread: str.optional(), messageId: str });
const previousThread = z.looseObject({ threadId: str, endedAt: num, reason: z.literal('new') });

const queuedBase = {
  id: str,
  dedupKey: str,
  acceptedAt: num,
  attempts: num,
  session: str.optional(),
  live: z.looseObject({ channelId: str, ref: str }).optional(),
};

/** One entry of `queue.<dispatcher>`. */
export const queuedTurnSchema = z.discriminatedUnion('kind', [
  z.looseObject({
    ...queuedBase,
    kind: z.literal('message'),
    address,
    sender: z.looseObject({ id: str, name: str.optional() }),
    text: str,
    attachments: z.array(z.looseObject({ kind: z.enum(['image', 'file']), key: str, name: str.optional() })).optional(),
  }),
  z.looseObject({ ...queuedBase, kind: z.literal('completion'), completionId: str, address: address.nullable() }),
]) satisfies z.ZodType<QueuedTurn>;

const settledStatus = z.enum(['completed', 'failed', 'interrupted']);

/** One entry of `completions.<dispatcher>`. */
export const completionRecordSchema = z.looseObject({
  id: str,
  teammate: nullableStr,
  status: settledStatus,
  text: str,
  spillPath: nullableStr,
  turnId: nullableStr,
  origin: address.nullable(),
  state: z.enum(['accepted', 'injecting', 'injected', 'delivered', 'failed']),
  deliveredAsTurn: z.boolean(),
  acceptedAt: num,
  injectedAt: nullableNum,
  settledAt: nullableNum,
  answer: nullableStr,
  lastError: nullableStr,
}) satisfies z.ZodType<CompletionRecord>;

/** One entry of `sessions.<dispatcher>`. */
export const sessionRecordSchema = z.looseObject({
  key: str,
  scope: z.enum(['conversation', 'thread']),
  place: z.looseObject({ channelId: str, conversation: str, thread: str.optional() }),
  threadId: nullableStr,
  threadHasHistory: z.boolean(),
  lastLostThreadId: nullableStr,
  pendingLostThreadWarning: z.boolean(),
  previousThreads: z.array(previousThread),
  createdAt: num,
  lastActiveAt: num,
}) satisfies z.ZodType<SessionRecord>;

/** One entry of `failedReplies.<dispatcher>`. */
export const failedReplySchema = z.looseObject({
  idempotencyKey: str,
  address,
  kind: z.enum(['answer', 'error', 'notice']),
  text: str,
  error: str,
  failedAt: num,
}) satisfies z.ZodType<FailedReply>;

/** One entry of `approvals`. */
export const approvalRecordSchema = z.looseObject({
  id: str,
  dispatcherId: str,
  teammate: nullableStr,
  kind: z.enum(['command', 'fileChange', 'permissions', 'question', 'elicitation']),
  summary: str,
  address,
  prompt: z.looseObject({ channelId: str, ref: str }).nullable(),
  state: z.enum(['pending', 'decided', 'timedOut', 'withdrawn', 'expired']),
  decision: nullableStr,
  decidedBy: z.looseObject({ id: str, name: str.optional() }).nullable(),
  requestedAt: num,
  settledAt: nullableNum,
}) satisfies z.ZodType<ApprovalRecord>;

const teammateTask = z.looseObject({
  id: str,
  text: str,
  origin: address.nullable(),
  requester: z.looseObject({ id: str, name: str.optional() }).nullable().optional(),
  acceptedAt: num,
  startedAt: nullableNum,
  turnId: nullableStr,
  result: z.looseObject({ completionId: str, status: settledStatus, text: str }).nullable(),
});

/** One value of `teammates` (its runtime lifecycle fields as well). */
export const teammateRecordSchema = z.looseObject({
  status: z.enum(['declared', 'starting', 'ready', 'degraded', 'stopping', 'stopped']),
  statusChangedAt: num,
  threadId: nullableStr,
  lastLostThreadId: nullableStr,
  pendingLostThreadWarning: z.boolean(),
  threadHasHistory: z.boolean(),
  lastError: nullableStr,
  lastStartedAt: nullableNum,
  lastReadyAt: nullableNum,
  restartAttempts: num,
  restartCount: num,
  previousThreads: z.array(previousThread).optional(),
  name: str,
  dispatcher: str,
  cwd: str,
  origin: address.nullable(),
  createdAt: num,
  closed: z.boolean(),
  closedAt: nullableNum,
  tasks: z.array(teammateTask),
  lastCompletionId: nullableStr,
}) satisfies z.ZodType<TeammateRecord>;
