/**
 * A turn a dispatcher runs now, one per session: what the scheduler started, who asked for it,
 * and what happened to it so far (who stopped it, codex retries, messages steered into it).
 */
import type { ReplyAddress } from '../channels/types.js';
import type { QueuedTurn } from '../state/types.js';

export interface RunningTurn {
  entry: QueuedTurn;
  /** Session key (see ./sessions/key.ts). */
  key: string;
  /** When the scheduler started it, ms since the epoch. */
  since: number;
  /** Where its answer goes; null for a completion without an origin. */
  address: ReplyAddress | null;
  /** Who asked to stop it (`stop`, a Stop press, a message under busy policy `interrupt`), if anyone. */
  stoppedBy: string | null;
  /** Retries codex reported for it, and the latest message; null while none. */
  retry: { count: number; error: string } | null;
  /** Messages steered into it (busy policy `steer`); their progress follows the turn's. */
  steered: ReplyAddress[];
}
