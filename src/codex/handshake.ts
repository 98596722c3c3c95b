/**
 * Runtime start sequence on a fresh connection (codex app-server v2):
 * `initialize` → `initialized` → `skills/extraRoots/set` → `thread/start` | `thread/resume`.
 */
import type { Logger } from '../log.js';
import { SWITCHBOARD_VERSION } from '../version.js';
import type { GetAccountResponse, InitializeResponse, ThreadSettings } from './protocol.js';
import { RpcError, type RpcClient } from './rpc-client.js';

export const CLIENT_INFO = { name: 'switchboard', title: 'Switchboard', version: SWITCHBOARD_VERSION } as const;

/**
 * `initialize` then the `initialized` notification.
 * @throws RpcError | RpcTimeoutError | RpcClosedError
 */
export async function initialize(rpc: RpcClient, timeoutMs: number): Promise<InitializeResponse> {
  const res = await rpc.request('initialize', { clientInfo: { ...CLIENT_INFO }, capabilities: { experimentalApi: true } }, timeoutMs);
  rpc.notify('initialized');
  return res;
}

/** One line each: how to give codex credentials, or to run without them. */
export const LOGIN_FIX =
  'Codex has no credentials. Fix: run `npx codex login` (or set OPENAI_API_KEY for the service), then restart; or try `npm run demo` for a scripted model.';

/**
 * Asks codex (`account/read`, codex app-server v2) whether it can reach its model: null when it
 * can, else {@link LOGIN_FIX}. Credentials are missing when the provider needs OpenAI auth, no
 * account is stored, and neither OPENAI_API_KEY nor CODEX_API_KEY is in `env`, the app-server's
 * environment (codex reads them).
 * An app-server that lacks the method counts as able (it cannot tell).
 * @throws Error for any other failure of the request.
 */
export async function checkCredentials(rpc: RpcClient, env: Readonly<Record<string, string | undefined>>, timeoutMs: number): Promise<string | null> {
  let res: GetAccountResponse;
  try {
    res = await rpc.request('account/read', {}, timeoutMs);
  } catch (err) {
    if (err instanceof RpcError && err.isUnknownMethod) return null;
    throw err;
  }
  if (!res.requiresOpenaiAuth || res.account !== null) return null;
  return env.OPENAI_API_KEY || env.CODEX_API_KEY ? null : LOGIN_FIX;
}

/**
 * Applies role-gated skill roots. An app-server that lacks the method is logged
 * and skipped (the runtime is skill-blind); any other failure is thrown.
 * @returns 'applied' | 'unsupported'
 */
export async function applySkillRoots(rpc: RpcClient, roots: string[], logger: Logger): Promise<'applied' | 'unsupported'> {
  try {
    await rpc.request('skills/extraRoots/set', { extraRoots: roots });
    return 'applied';
  } catch (err) {
    if (err instanceof RpcError && err.isUnknownMethod) {
      logger.warn({ roots }, 'this codex app-server has no skills/extraRoots/set; runtime starts without Switchboard skills');
      return 'unsupported';
    }
    throw err;
  }
}

export type ThreadOpenResult =
  | { status: 'started'; threadId: string }
  | { status: 'resumed'; threadId: string }
  /** Resume of `lostThreadId` failed; a fresh thread replaced it. */
  | { status: 'replaced'; threadId: string; lostThreadId: string; resumeError: string };

/**
 * Resumes `threadId` when given, else starts a thread. A failed resume falls
 * back to a fresh thread (reported as `replaced`, never silently).
 * @throws errors of `thread/start`
 */
export async function openThread(rpc: RpcClient, threadId: string | null, settings: ThreadSettings, logger: Logger): Promise<ThreadOpenResult> {
  if (threadId) {
    try {
      const res = await rpc.request('thread/resume', { ...settings, threadId });
      return { status: 'resumed', threadId: res.thread.id };
    } catch (err) {
      if (!(err instanceof RpcError)) throw err;
      logger.warn({ threadId, err: err.message }, 'thread resume failed; starting a fresh thread');
      const res = await rpc.request('thread/start', settings);
      return { status: 'replaced', threadId: res.thread.id, lostThreadId: threadId, resumeError: err.message };
    }
  }
  const res = await rpc.request('thread/start', settings);
  return { status: 'started', threadId: res.thread.id };
}
