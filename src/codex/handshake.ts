/**
 * Runtime start sequence on a fresh connection (codex app-server v2):
 * `initialize` → `initialized` → `skills/extraRoots/set` → `thread/start` | `thread/resume`.
 */
import type { Logger } from '../log.js';
import type { InitializeResponse, ThreadSettings } from './protocol.js';
import { RpcError, type RpcClient } from './rpc-client.js';

export const CLIENT_INFO = { name: 'switchboard', title: 'Switchboard', version: '0.1.0' } as const;

/**
 * `initialize` then the `initialized` notification.
 * @throws RpcError | RpcTimeoutError | RpcClosedError
 */
export async function initialize(rpc: RpcClient, timeoutMs: number): Promise<InitializeResponse> {
  const res = await rpc.request('initialize', { clientInfo: { ...CLIENT_INFO }, capabilities: { experimentalApi: true } }, timeoutMs);
  rpc.notify('initialized');
  return res;
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
  | { kind: 'started'; threadId: string }
  | { kind: 'resumed'; threadId: string }
  /** Resume of `lostThreadId` failed; a fresh thread replaced it. */
  | { kind: 'replaced'; threadId: string; lostThreadId: string; resumeError: string };

/**
 * Resumes `threadId` when given, else starts a thread. A failed resume falls
 * back to a fresh thread (reported as `replaced`, never silently).
 * @throws errors of `thread/start`
 */
export async function openThread(rpc: RpcClient, threadId: string | null, settings: ThreadSettings, logger: Logger): Promise<ThreadOpenResult> {
  if (threadId) {
    try {
      const res = await rpc.request('thread/resume', { ...settings, threadId });
      return { kind: 'resumed', threadId: res.thread.id };
    } catch (err) {
      if (!(err instanceof RpcError)) throw err;
      logger.warn({ threadId, err: err.message }, 'thread resume failed; starting a fresh thread');
      const res = await rpc.request('thread/start', settings);
      return { kind: 'replaced', threadId: res.thread.id, lostThreadId: threadId, resumeError: err.message };
    }
  }
  const res = await rpc.request('thread/start', settings);
  return { kind: 'started', threadId: res.thread.id };
}
