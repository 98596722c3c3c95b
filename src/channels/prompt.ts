/**
 * Prompts: the optional channel capability that shows an interactive question in a turn's
 * thread — an approval Codex asks for (run a command, change files, grant permissions) or a
 * question the agent asks the user — with one button per answer, and later updates it to show
 * what was decided, by whom and when (the buttons then go).
 *
 * Every button carries an opaque action id the service issued (src/dispatch/actions.ts); a press
 * reaches the adapter's `onAction` handler exactly like a live answer's Stop button, and the
 * adapter answers the presser with the handler's text (ephemeral / toast where the platform has one).
 *
 * Rendering is the adapter's: `title` as a heading, `body` as Markdown (code blocks for commands),
 * `buttons` as the platform's buttons (Slack Block Kit `actions`, a Feishu card's buttons, web
 * chat buttons), `status` as a last line. A prompt's `ref` is persisted with the request, so a
 * service that restarts can still mark the message expired.
 */
import type { ReplyAddress } from './reply.js';

/** One answer button. */
export interface PromptButton {
  /** The opaque id the service issued for this answer; a press reaches `onAction` with it. */
  actionId: string;
  /** Button text, plain, ≤ 30 characters (Slack's and Feishu's buttons show about that much). */
  label: string;
  /** `primary` for the approving answer, `danger` for declining / cancelling; absent = plain. */
  style?: 'primary' | 'danger';
}

/** What a prompt shows now. */
export interface PromptView {
  /** One plain-text line, e.g. "🔐 Approval needed: run a command". */
  title: string;
  /** Markdown: the command in a code block, its cwd and reason; the files of a change; the question. */
  body: string;
  /** The answers, in order; [] once settled (the message then shows `status` only). */
  buttons: readonly PromptButton[];
  /** Markdown line under the body, e.g. "✅ Approved by Ann at 14:02 UTC" or "Reply in this thread to answer"; null = none. */
  status: string | null;
}

/** Where a prompt was posted; `ref` is the adapter's serializable reference to the message. */
export type PromptPostResult = { status: 'sent'; ref: string } | { status: 'failed'; error: string };

/** The prompt capability of a channel adapter. */
export interface PromptMessages {
  /** Posts `view` as one message in `to`'s conversation and thread. Never throws. */
  post(to: ReplyAddress, view: PromptView): Promise<PromptPostResult>;
  /** Replaces the message `ref` (as returned by `post`) with `view`. Never throws: false when the message is gone or the platform refused. */
  update(to: ReplyAddress, ref: string, view: PromptView): Promise<boolean>;
}
