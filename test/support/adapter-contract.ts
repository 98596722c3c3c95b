/**
 * The ChannelAdapter contract (src/channels/types.ts) as one test suite, run against every adapter
 * through an AdapterHarness (./adapter-contract/harness.ts): lifecycle (one start at a time, stop
 * idempotent, restart after stop), inbound hand-over and re-deliveries, send (idempotent per key,
 * split within the platform's limit, failed — not thrown — for an unknown address), live answers
 * when the adapter offers them (update/finish/abandon never throw; finish ends in one final message,
 * also when repeated) and setProgress (never throws). A new adapter gets all of it by writing a harness and calling
 * describeAdapterContract. No fixed sleeps: every wait is a bounded poll or the platform's own ack.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LiveView } from '../../src/channels/live.js';
import type { AcceptResult, InboundHandler, InboundMessage, OutboundMessage, ProgressState } from '../../src/channels/types.js';
import { waitFor } from './fake-clock.js';
import type { AdapterHarness, HarnessFactory } from './adapter-contract/harness.js';

export type { HarnessFactory } from './adapter-contract/harness.js';

const WAIT_MS = 20_000;
const PROGRESS: ProgressState[] = ['queued', 'running', 'done', 'failed'];

/** A handler recording what it gets; answers 'duplicate' (a result that needs no queue entry). */
function recorder(): { handler: InboundHandler; got: InboundMessage[] } {
  const got: InboundMessage[] = [];
  const handler = async (m: InboundMessage): Promise<AcceptResult> => {
    got.push(m);
    return { status: 'duplicate' };
  };
  return { handler, got };
}

let keys = 0;
const answer = (text: string): OutboundMessage => ({ kind: 'answer', text, idempotencyKey: `contract-${process.pid}-${++keys}` });

/** Plain text (no Markdown syntax) of about `chars` characters in paragraphs of words. */
function plainText(chars: number): string {
  const paragraphs: string[] = [];
  let total = 0;
  for (let p = 0; total < chars; p++) {
    const words = Array.from({ length: 60 }, (_, w) => `word${p}x${w}`);
    const paragraph = words.join(' ');
    paragraphs.push(paragraph);
    total += paragraph.length + 2;
  }
  return paragraphs.join('\n\n');
}

const words = (s: string): string[] => s.split(/\s+/).filter((w) => w !== '');

export function describeAdapterContract(name: string, factory: HarnessFactory): void {
  describe(`ChannelAdapter contract: ${name}`, () => {
    let h: AdapterHarness;
    beforeEach(async () => {
      h = await factory();
    });
    afterEach(async () => {
      await h.close();
    });

    describe('lifecycle', () => {
      it('a second start throws while started, and while the first start is still in progress', async () => {
        const first = recorder();
        await h.start(first.handler);
        await expect(h.adapter.start(recorder().handler)).rejects.toThrow(/already started/);
        await h.adapter.stop();

        const results = await Promise.allSettled([h.start(first.handler), h.adapter.start(recorder().handler)]);
        expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
        const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(String(rejected?.reason)).toMatch(/already started/);
      });

      it('stop is idempotent: before start, twice at once, and again after', async () => {
        await h.adapter.stop();
        await h.start(recorder().handler);
        await Promise.all([h.adapter.stop(), h.adapter.stop()]);
        await h.adapter.stop();
        if (h.adapter.connection) expect(h.adapter.connection()).toBe('disconnected');
      });

      it('a stopped adapter starts again and hands messages to the new handler only', async () => {
        const before = recorder();
        await h.start(before.handler);
        await h.adapter.stop();
        const after = recorder();
        await h.start(after.handler);
        if (h.adapter.connection) expect(h.adapter.connection()).toBe('connected');
        const d = await h.deliver('after the restart');
        await waitFor(() => after.got.length === 1, WAIT_MS, 'the message after the restart');
        expect(after.got[0]?.messageId).toBe(d.expected.messageId);
        expect(before.got).toEqual([]);
      });
    });

    describe('inbound', () => {
      it('a platform message reaches onMessage with every InboundMessage field set', async () => {
        const r = recorder();
        await h.start(r.handler);
        const sentAt = Date.now();
        const d = await h.deliver('hello from the contract');
        await waitFor(() => r.got.length === 1, WAIT_MS, 'the inbound message');
        const m = r.got[0]!;
        expect(m).toMatchObject({
          channelId: h.adapter.id,
          conversation: d.expected.conversation,
          messageId: d.expected.messageId,
          text: d.expected.text,
          sender: { id: d.expected.senderId },
        });
        expect(m.messageId).not.toBe('');
        expect(typeof m.isDirect).toBe('boolean');
        expect(typeof m.mentionsBot).toBe('boolean');
        expect(m.receivedAt).toBeGreaterThanOrEqual(sentAt - 1_000);
        expect(m.receivedAt).toBeLessThanOrEqual(Date.now() + 1_000);
      });

      it('a re-delivery of the same platform message carries the same dedup key (channelId, messageId)', async () => {
        const r = recorder();
        await h.start(r.handler);
        const d = await h.deliver('delivered twice');
        await waitFor(() => r.got.length === 1, WAIT_MS, 'the first delivery');
        await d.redeliver();
        // A later, different message marks the point by which a second hand-over would have happened.
        const marker = await h.deliver('marker');
        await waitFor(() => r.got.some((m) => m.messageId === marker.expected.messageId), WAIT_MS, 'the marker message');
        const repeats = r.got.filter((m) => m.messageId !== marker.expected.messageId);
        expect(repeats).toHaveLength(h.dropsRedeliveries ? 1 : 2);
        for (const m of repeats) expect([m.channelId, m.conversation, m.messageId]).toEqual([h.adapter.id, d.expected.conversation, d.expected.messageId]);
      });
    });

    describe('send', () => {
      it('is idempotent per idempotencyKey: the platform gets the reply once, every call the same messageIds', async () => {
        await h.start(recorder().handler);
        const to = h.knownAddress();
        const msg = answer('only once please');
        const [first, concurrent] = await Promise.all([h.adapter.send(to, msg), h.adapter.send(to, msg)]);
        const later = await h.adapter.send(to, msg);
        expect(first.status).toBe('sent');
        expect(concurrent).toEqual(first);
        expect(later).toEqual(first);
        const got = await h.received(to);
        expect(got).toHaveLength(1);
        expect(first.status === 'sent' ? first.messageIds : []).toEqual(got.map((p) => p.id));
      });

      it('splits a long text into parts within the platform limit that join back to the text', async () => {
        await h.start(recorder().handler);
        const to = h.knownAddress();
        const text = plainText(2.5 * (h.textLimit ?? 8_000));
        const res = await h.adapter.send(to, answer(text));
        const got = await h.received(to);
        expect(res).toEqual({ status: 'sent', messageIds: got.map((p) => p.id) });
        if (h.textLimit === undefined) {
          expect(got.map((p) => p.text)).toEqual([text]);
          return;
        }
        expect(got.length).toBeGreaterThanOrEqual(3);
        for (const p of got) expect(p.text.length).toBeLessThanOrEqual(h.textLimit);
        expect(words(got.map((p) => p.text).join('\n'))).toEqual(words(text));
      });

      it('to an unknown address resolves failed (with error and retryable) instead of throwing', async () => {
        await h.start(recorder().handler);
        const res = await h.adapter.send(h.unknownAddress(), answer('nobody is there'));
        expect(res).toMatchObject({ status: 'failed', error: expect.any(String), retryable: expect.any(Boolean) });
      });
    });

    describe('live (optional capability)', () => {
      const views: LiveView[] = [
        { text: '', textSeq: 0, activity: 'running `npm test`', plan: [{ step: 'test', status: 'inProgress' }] },
        { text: 'The answer is', textSeq: 1, activity: null, plan: [{ step: 'test', status: 'completed' }] },
        { text: 'The answer is being written live', textSeq: 1, activity: null, plan: [{ step: 'test', status: 'completed' }] },
      ];

      it('update never throws; finish settles into one final message, also when called twice with the same key', async () => {
        await h.start(recorder().handler);
        const live = h.adapter.live;
        if (!live) return;
        expect(live.minIntervalMs).toBeGreaterThan(0);
        const to = h.knownAddress();
        const message = answer('The answer is being written live, and this is its final text.');
        const element = await live.open(to, { key: message.idempotencyKey, stopActionId: `stop-${message.idempotencyKey}`, recipientUserId: 'U-contract' });
        if (!element) return; // the platform cannot show it now: the turn is answered with send()
        expect(typeof element.ref).toBe('string');
        for (const view of views) expect(typeof (await element.update(view))).toBe('boolean');

        const first = await element.finish({ outcome: 'completed', message });
        expect(first.status).toBe('sent');
        const second = await element.finish({ outcome: 'completed', message });
        expect(second).toEqual(first);
        // What the user sees: posts, or (harnesses with `shown`) also the settled live element itself.
        const shown = 'shown' in h && typeof h.shown === 'function' ? (h.shown as AdapterHarness['received']) : null;
        if (shown || (first.status === 'sent' && h.adapter.type === 'web')) {
          const got = await (shown ?? h.received)(to);
          expect(words(got.map((p) => p.text).join('\n'))).toEqual(expect.arrayContaining(words(message.text)));
          if (!shown && first.status === 'sent') expect(got.map((p) => p.id)).toEqual(first.messageIds);
        }
        expect(typeof (await element.update(views[0]!))).toBe('boolean');
      });

      it('never throws for an address the platform does not know, nor when abandoning a ref it never issued', async () => {
        await h.start(recorder().handler);
        const live = h.adapter.live;
        if (!live) return;
        const message = answer('nobody is there');
        const element = await live.open(h.unknownAddress(), { key: message.idempotencyKey, stopActionId: 'stop-unknown', recipientUserId: 'web-user' });
        if (element) {
          for (const view of views) expect(typeof (await element.update(view))).toBe('boolean');
          expect(['sent', 'failed']).toContain((await element.finish({ outcome: 'completed', message })).status);
        }
        await expect(live.abandon(h.knownAddress(), 'not-a-ref-this-adapter-issued', 'stopped by a restart')).resolves.toBeUndefined();
      });
    });

    describe('setProgress', () => {
      it('never throws: every state, on a known and an unknown message, and while the platform refuses', async () => {
        await h.start(recorder().handler);
        const setProgress = h.adapter.setProgress?.bind(h.adapter);
        if (!setProgress) return; // optional capability
        for (const to of [h.knownAddress(), h.unknownAddress()]) {
          for (const state of PROGRESS) await expect(setProgress(to, state)).resolves.toBeUndefined();
        }
        if (!h.failProgress) return;
        const refused = h.failProgress();
        const to = h.knownAddress();
        for (const state of PROGRESS) await expect(setProgress(to, state)).resolves.toBeUndefined();
        expect(refused()).toBeGreaterThan(0);
      });
    });
  });
}
