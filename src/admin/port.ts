/**
 * What the admin socket needs from the running service: the port `src/service.ts` implements, so
 * `src/admin/` depends on this narrow interface and not on the service (no import circle).
 */
import type { DeliverResult, CompletionInput } from '../dispatch/completions.js';
import type { ApprovalRecord } from '../state/types.js';
import type { DecideResult } from '../dispatch/approvals/broker.js';
import type { DispatcherStatus } from '../dispatch/status.js';
import type { TeammateManager } from '../teammates/manager.js';
import type { TeammateStatus } from '../teammates/api.js';

/** `GET /status`: the whole service as `switchboard status --json` prints it. */
export interface ServiceStatus {
  pid: number;
  /** ISO-8601. */
  startedAt: string;
  dispatchers: DispatcherStatus[];
  /** Teammates (open ones and the newest closed ones), oldest first. */
  teammates: TeammateStatus[];
  channels: Array<{ id: string; type: string }>;
  /** Approvals and questions waiting for an answer in chat, oldest first. */
  approvals: PendingApproval[];
  /** Malformed state entries set aside when the state was opened (state.json `quarantine`), all owners. */
  quarantined: number;
  /** Whether the state can be written (see src/state/health.ts). */
  state: StateStatus;
}

/** The state store's health in `switchboard status`. */
export interface StateStatus {
  /** `degraded` while the state cannot be written: new messages are refused, no new turn starts, writes are retried. */
  status: 'ok' | 'degraded';
  /** `state not writable` while degraded; null when ok. */
  reason: string | null;
  /** The latest write error while degraded; null when ok. */
  error: string | null;
  /** ISO-8601: since when it is degraded; null when ok. */
  since: string | null;
}

/** One pending approval as operators see it (`switchboard status`, `switchboard approvals list`). */
export interface PendingApproval {
  id: string;
  dispatcherId: string;
  teammate: string | null;
  kind: ApprovalRecord['kind'];
  summary: string;
  channelId: string;
  conversation: string;
  /** ms since it was asked. */
  ageMs: number;
}

/** The teammate operations the admin routes call. */
export type AdminTeammates = Pick<TeammateManager, 'all' | 'status' | 'spawn' | 'send' | 'close'>;

export interface AdminPort {
  status(): ServiceStatus;
  /** Ids of the configured dispatchers, in config order. */
  dispatcherIds(): string[];
  /** Interrupts a dispatcher's running turn: true when one ran, false when idle, null for an unknown id. */
  interrupt(dispatcherId: string): Promise<boolean | null>;
  /** Hands a completion to a dispatcher; null for an unknown id. */
  deliverCompletion(dispatcherId: string, input: CompletionInput): Promise<DeliverResult> | null;
  /** True when `channelId` names a configured channel. */
  hasChannel(channelId: string): boolean;
  /** Largest accepted completion text, bytes (UTF-8). */
  readonly completionMaxBytes: number;
  readonly teammates: AdminTeammates;
  /** Answers pending approval `id` as an operator: approve = its approving answer, decline = its declining one. */
  decideApproval(id: string, answer: 'approve' | 'decline'): Promise<DecideResult>;
}
