/**
 * Button actions the service issues: each live element's Stop button (and, later, approval
 * buttons) carries an opaque id from here, never a turn id or anything a presser could forge.
 *
 * - `issue` binds a fresh id (128 random bits, base64url) to what the press does, the channel and
 *   conversation it is valid in, and who may press it (the message's sender and the channel's admins).
 * - `press` checks the id, the channel and the presser, then runs the action once: a second press
 *   while its turn still runs gets the first press's answer ("double click acts once").
 * - `retire` marks an id stale when its turn ended; pressing it then answers "already finished".
 *   Ids are memory-only: after a restart every old button answers stale.
 */
import { randomBytes } from 'node:crypto';
import type { ActionEvent, ActionResult } from '../channels/live.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';

/** Issued ids kept at most (oldest forgotten first: they then answer stale). */
export const MAX_ACTIONS = 10_000;

export interface ActionSpec {
  /** Channel and conversation the button lives in; a press from elsewhere is stale. */
  channelId: string;
  conversation: string;
  /** Platform user ids that may press (the message's sender, the channel's admins). */
  allowedUserIds: readonly string[];
  /** Everyone may press (the loopback web chat, where everyone is admin). */
  everyoneAllowed?: boolean;
  /** What a refused presser is told. */
  refusedText: string;
  /** What a press after `retire` is told; a function is asked at press time (e.g. "already approved by Ann"). */
  staleText: string | (() => string);
  /** Runs the action for the presser `by`; its text is what the presser is told. Called at most once. */
  run: (by: ActionEvent['user']) => Promise<string>;
}

interface Entry {
  spec: ActionSpec;
  /** The first press's run, shared by later presses. */
  pressed: Promise<ActionResult> | null;
  retired: boolean;
}

/** Answer to a press of an id this process never issued (or forgot). */
export const UNKNOWN_ACTION_TEXT = 'This button is no longer active.';

export class ActionRegistry {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly logger: Logger) {}

  /** Issues an opaque id for `spec`. */
  issue(spec: ActionSpec): string {
    const id = randomBytes(16).toString('base64url');
    this.entries.set(id, { spec, pressed: null, retired: false });
    while (this.entries.size > MAX_ACTIONS) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return id;
  }

  /** Makes `id` stale: later presses are told `staleText`. Unknown ids are ignored. */
  retire(id: string): void {
    const entry = this.entries.get(id);
    if (entry) entry.retired = true;
  }

  /** Handles a press; never rejects. */
  async press(event: ActionEvent): Promise<ActionResult> {
    const entry = this.entries.get(event.actionId);
    if (!entry || entry.spec.channelId !== event.channelId || entry.spec.conversation !== event.conversation) {
      return { status: 'stale', text: UNKNOWN_ACTION_TEXT };
    }
    const { spec } = entry;
    if (!spec.everyoneAllowed && !spec.allowedUserIds.includes(event.user.id)) {
      this.logger.info({ channel: event.channelId, user: event.user.id }, 'button press refused');
      return { status: 'refused', text: spec.refusedText };
    }
    if (entry.retired) return { status: 'stale', text: typeof spec.staleText === 'function' ? spec.staleText() : spec.staleText };
    if (entry.pressed) return entry.pressed;
    entry.pressed = spec.run(event.user).then(
      (text): ActionResult => ({ status: 'done', text }),
      (err: unknown): ActionResult => {
        this.logger.warn({ err: errorMessage(err) }, 'button action failed');
        return { status: 'stale', text: `That did not work: ${errorMessage(err)}` };
      },
    );
    return entry.pressed;
  }
}
