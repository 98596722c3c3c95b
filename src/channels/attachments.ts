/**
 * Attachments of an inbound message (images, files) that its adapter fetches AFTER the message was
 * accepted and the platform acknowledged, so a slow download never holds the acknowledgement past
 * the platform's deadline (Feishu wants a webhook's 200 within about 3 s, else it redelivers).
 *
 * How they travel: the adapter's InboundMessage carries `attachments` (what to fetch) and a `text`
 * in which {@link attachmentSlot}(i) marks where attachment `i` goes; the dispatcher persists both
 * in the queue entry, asks the adapter's `fetchAttachment` for each one before the turn runs, and
 * puts the line it answers (the local path, or why there is none) into the slot
 * ({@link fillAttachmentSlots}). The slots are private-use characters, which user text is cleared
 * of ({@link stripSlotMarks}), so they cannot be forged.
 */

/** An image or file of an inbound message, to be fetched by its adapter before the turn runs. */
export interface PendingAttachment {
  kind: 'image' | 'file';
  /** The platform's key of the resource (Feishu `image_key` / `file_key`). */
  key: string;
  /** The file's name as sent, when the platform gives one. */
  name?: string;
}

const MARK = '\uE001';
const SLOT = /\uE001(\d+)\uE001/g;

/** Marks where attachment `i` goes in an InboundMessage's text. */
export function attachmentSlot(i: number): string {
  return `${MARK}${i}${MARK}`;
}

/** Removes slot marks from user-written text (so only the adapter's own slots remain). */
export function stripSlotMarks(text: string): string {
  return text.replaceAll(MARK, '');
}

/** Puts `lines[i]` into slot `i` of `text`; a slot without a line becomes empty. */
export function fillAttachmentSlots(text: string, lines: readonly string[]): string {
  return text.replace(SLOT, (_whole, i: string) => lines[Number(i)] ?? '');
}

/**
 * `text` with each slot saying only that an attachment is there (`[image attached]`), for places
 * that show a message without fetching its attachments (the `queue` listing, a text answer to a
 * question).
 */
export function labelAttachmentSlots(text: string, attachments: readonly PendingAttachment[] | undefined): string {
  return fillAttachmentSlots(
    text,
    (attachments ?? []).map((a) => `[${attachmentLabel(a)} attached]`),
  );
}

/** How the agent and the chat name an attachment: `image`, `file "report.pdf"`. */
export function attachmentLabel(a: PendingAttachment): string {
  return a.kind === 'image' ? 'image' : `file "${a.name ?? a.key}"`;
}
