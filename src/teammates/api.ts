/**
 * The teammate API shared by the admin routes and the MCP tools: caller
 * identity, request bodies, answers, name rules. Kept free of runtime/service
 * imports (types only), so clients of the admin socket can use it.
 */
import { z } from 'zod';

/** Teammate names: 1–32 of `a–z 0–9 -`, unique per service. */
export const TEAMMATE_NAME_RE = /^[a-z0-9-]{1,32}$/;

export const TEAMMATE_NAME_RULE = 'a teammate name is 1–32 characters of a-z, 0-9 and "-"';

/** Largest task/message text handed to a teammate, bytes (UTF-8). */
export const MAX_TASK_BYTES = 256 * 1024;

/**
 * Who is calling. A runtime's MCP tool call is the identity its caller token
 * names (src/mcp/tokens.ts); the CLI calls as `operator`. The service decides what each
 * role may do (see `src/teammates/rules.ts`).
 */
export const callerSchema = z.discriminatedUnion('role', [
  /** `session`: the dispatcher session whose turn called (absent: the dispatcher's own thread). */
  z.object({ role: z.literal('dispatcher'), id: z.string().min(1), session: z.string().min(1).optional() }).strict(),
  z.object({ role: z.literal('teammate'), id: z.string().min(1) }).strict(),
  z.object({ role: z.literal('operator') }).strict(),
]);
export type Caller = z.infer<typeof callerSchema>;

export const spawnBodySchema = z
  .object({
    caller: callerSchema,
    name: z.string(),
    task: z.string(),
    cwd: z.string().min(1).optional(),
  })
  .strict();

export const sendBodySchema = z.object({ caller: callerSchema, name: z.string(), text: z.string() }).strict();

export const closeBodySchema = z.object({ caller: callerSchema.optional(), name: z.string() }).strict();
export type CloseBody = z.infer<typeof closeBodySchema>;

export const statusBodySchema = z.object({ caller: callerSchema, name: z.string().optional() }).strict();

/** Lifecycle of a teammate as shown to operators and agents: the runtime's (`idle`: stopped after `teammates.idleStopMs`, starts on its next task), or `closed`. */
export type TeammateState = 'declared' | 'starting' | 'ready' | 'degraded' | 'stopping' | 'stopped' | 'idle' | 'closed';

/** One teammate as `switchboard status`, `GET /teammates` and `teammate_status` show it. */
export interface TeammateStatus {
  name: string;
  dispatcher: string;
  status: TeammateState;
  threadId: string | null;
  cwd: string;
  /** Pid of the teammate's codex app-server; null when none runs. */
  pid: number | null;
  /** Tasks accepted and not yet settled (the running one included). */
  tasks: number;
  /** Age of the running turn, ms; null when idle. */
  runningTurnAgeMs: number | null;
  runningTurnId: string | null;
  /** Completion id of the last settled task, if any. */
  lastCompletionId: string | null;
  restartCount: number;
  lastError: string | null;
  /** ms since the epoch. */
  createdAt: number;
  closedAt: number | null;
}

export interface SpawnAnswer {
  status: 'spawned';
  name: string;
  cwd: string;
  /** Runtime state after the first start attempt. */
  runtime: TeammateState;
  threadId: string | null;
  /** Why the first start failed (the runtime keeps retrying with backoff). */
  startError?: string;
  /** Where the completion will be answered, when known. */
  origin: { channel: string; conversation: string } | null;
}

export interface SendAnswer {
  status: 'queued';
  name: string;
  /** 1 = runs next (or now, when the teammate is idle). */
  position: number;
}

export interface CloseAnswer {
  status: 'closed' | 'already_closed';
  name: string;
  /** True when a running task was cut off (reported as an `interrupted` completion). */
  interruptedTask: boolean;
  /** Queued tasks that will not run. */
  droppedTasks: number;
}

/** Error answer of every teammate route: `{error: code, message}`. */
export type TeammateErrorCode = 'invalid' | 'duplicate' | 'unknown' | 'refused' | 'limit' | 'closed' | 'stopped';

export const TEAMMATE_ERROR_HTTP: Record<TeammateErrorCode, number> = {
  invalid: 400,
  refused: 403,
  unknown: 404,
  duplicate: 409,
  closed: 409,
  limit: 429,
  stopped: 503,
};
