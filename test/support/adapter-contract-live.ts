/**
 * The live-answer part of the ChannelAdapter contract (src/channels/live.ts), for adapters that
 * offer `live`: an element opened in reply to a message, updated with growing views, settles into
 * exactly what `send()` posts for the same text (same parts, in order), counts as sent under the
 * message's idempotency key (a later `send()` adds nothing), refuses updates once finished, never
 * throws; `abandon` never throws, whatever the ref. Kept apart from ./adapter-contract.ts (its own
 * describe block) so adapters add it with one more line. Harnesses add `shown(to)`: what the
 * platform now shows in reply to `to` (edited elements included, unlike `received`).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LiveView } from '../../src/channels/live.js';
import type { AcceptResult, OutboundMessage, ReplyAddress } from '../../src/channels/types.js';
import type { AdapterHarness, ReceivedPart } from './adapter-contract/harness.js';

export interface LiveAdapterHarness extends AdapterHarness {
  /** What the platform shows in reply to `to` now, oldest first (a live element as it stands). */
  shown(to: ReplyAddress): Promise<ReceivedPart[]>;
}

export type LiveHarnessFactory = () => Promise<LiveAdapterHarness>;

let n = 0;
const msg = (text: string): OutboundMessage => ({ kind: 'answer', text, idempotencyKey: `live-contract-${process.pid}-${++n}` });
const opts = () => ({ key: `live-contract-key-${++n}`, stopActionId: `live-contract-stop-${n}`, recipientUserId: 'U1' });
const view = (text: string, textSeq = 1): LiveView => ({ text, textSeq, activity: text === '' ? 'thinking' : null, plan: [] });
const ignore = async (): Promise<AcceptResult> => ({ status: 'duplicate' });

/** A Markdown answer of about `chars` characters, in paragraphs (long ones split into parts). */
function answerText(chars: number): string {
  const out: string[] = [];
  for (let p = 0, total = 0; total < chars; p++) {
    const para = `**Part ${p}.** ${Array.from({ length: 50 }, (_, w) => `w${p}x${w}`).join(' ')}`;
    out.push(para);
    total += para.length + 2;
  }
  return out.join('\n\n');
}

export function describeLiveContract(name: string, factory: LiveHarnessFactory): void {
  describe(`ChannelAdapter live contract: ${name}`, () => {
    let h: LiveAdapterHarness;
    beforeEach(async () => {
      h = await factory();
    });
    afterEach(async () => {
      await h.close();
    });

    for (const size of ['short', 'long'] as const) {
      it(`a ${size} streamed answer settles into exactly what send() posts, once`, async () => {
        await h.start(ignore);
        const live = h.adapter.live;
        if (!live) return; // optional capability
        expect(live.minIntervalMs).toBeGreaterThan(0);
        const text = size === 'short' ? 'The **answer**, in `code` and words.' : answerText(2.5 * (h.textLimit ?? 8_000));
        const to = h.knownAddress();
        const el = await live.open(to, opts());
        expect(el).not.toBeNull();
        expect(typeof el!.ref).toBe('string');
        expect(el!.ref).not.toBe('');
        await expect(el!.update(view(''))).resolves.toBe(true);
        await expect(el!.update(view('First a remark.'))).resolves.toBe(true);
        await expect(el!.update(view(text.slice(0, 20), 2))).resolves.toBe(true);
        const final = msg(text);
        const res = await el!.finish({ outcome: 'completed', message: final });
        const shown = await h.shown(to);
        expect(res).toEqual({ status: 'sent', messageIds: shown.map((p) => p.id) });

        const reference = h.knownAddress();
        await h.adapter.send(reference, msg(text));
        expect(shown.map((p) => p.text)).toEqual((await h.received(reference)).map((p) => p.text));

        expect(await h.adapter.send(to, final)).toEqual(res);
        expect(await h.shown(to)).toEqual(shown);
        await expect(el!.update(view(`${text} more`, 2))).resolves.toBe(false);
      });
    }

    it('abandon never throws: an open element, one already finished, a reference it never wrote', async () => {
      await h.start(ignore);
      const live = h.adapter.live;
      if (!live) return;
      const to = h.knownAddress();
      const el = (await live.open(to, opts()))!;
      await el.update(view('half'));
      await expect(live.abandon(to, el.ref, 'stopped by a restart')).resolves.toBeUndefined();
      const done = (await live.open(h.knownAddress(), opts()))!;
      await done.finish({ outcome: 'completed', message: msg('done') });
      await expect(live.abandon(to, done.ref, 'stopped by a restart')).resolves.toBeUndefined();
      await expect(live.abandon(to, '{"not":"a ref"}', 'stopped by a restart')).resolves.toBeUndefined();
    });
  });
}
