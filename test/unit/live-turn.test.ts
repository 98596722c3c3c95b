/**
 * LiveTurn (src/dispatch/live/live-turn.ts): updates coalesce, respect the element's interval on
 * the injected clock, never overlap, stop when the element refuses, and `finish` waits for the
 * update in flight. The element here records calls: it stands for a platform, the LiveTurn is real.
 */
import { describe, expect, it } from 'vitest';
import type { LiveElement, LiveEnd, LiveView } from '../../src/channels/live.js';
import type { SendResult } from '../../src/channels/types.js';
import { LiveTurn } from '../../src/dispatch/live/live-turn.js';
import { createLogger } from '../../src/log.js';
import { FakeClock } from '../support/fake-clock.js';

const logger = createLogger('silent');
const end: LiveEnd = { outcome: 'completed', message: { kind: 'answer', text: 'done', idempotencyKey: 'k' } };

class RecordingElement implements LiveElement {
  readonly ref = 'ref-1';
  readonly views: LiveView[] = [];
  finished: LiveEnd[] = [];
  active = 0;
  maxActive = 0;
  /** Resolvers of updates not yet answered (when `hold` is set). */
  held: Array<() => void> = [];
  hold = false;
  answer = true;
  events: string[] = [];

  update(view: LiveView): Promise<boolean> {
    this.views.push(view);
    this.events.push(`update:${view.text}`);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    const done = (): boolean => {
      this.active--;
      return this.answer;
    };
    if (!this.hold) return Promise.resolve().then(done);
    return new Promise((resolve) => this.held.push(() => resolve(done())));
  }

  async finish(e: LiveEnd): Promise<SendResult> {
    this.events.push('finish');
    this.finished.push(e);
    return { status: 'sent', messageIds: ['m1'] };
  }
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
const delta = (text: string) => ({ type: 'agentMessageDelta' as const, itemId: 'm1', delta: text });

describe('LiveTurn', () => {
  it('pushes the first change at once, then the newest view once per interval', async () => {
    const clock = new FakeClock();
    const el = new RecordingElement();
    const live = new LiveTurn(async () => el, { minIntervalMs: 1000, clock, logger });
    await live.whenOpened();
    live.onEvent(delta('a'));
    await flush();
    expect(el.views.map((v) => v.text)).toEqual(['a']);
    for (const d of ['b', 'c', 'd']) live.onEvent(delta(d));
    await flush();
    expect(el.views.length, 'inside the interval nothing more is sent').toBe(1);
    expect(clock.fireNext()).toBe(1000);
    await flush();
    expect(
      el.views.map((v) => v.text),
      'the burst became one update with the newest text',
    ).toEqual(['a', 'abcd']);
    expect(clock.pending()).toEqual([]);
    expect(live.stats).toEqual({ updates: 2, events: 4 });
  });

  it('folds events that arrive before the element is open and shows them when it is', async () => {
    const clock = new FakeClock();
    const el = new RecordingElement();
    let open!: (e: LiveElement) => void;
    const live = new LiveTurn(() => new Promise((r) => (open = r)), { minIntervalMs: 500, clock, logger });
    live.onEvent(delta('early '));
    live.onEvent(delta('bird'));
    open(el);
    await live.whenOpened();
    await flush();
    expect(el.views.map((v) => v.text)).toEqual(['early bird']);
  });

  it('never runs two updates at once, and finish waits for the one in flight', async () => {
    const clock = new FakeClock();
    const el = new RecordingElement();
    el.hold = true;
    const live = new LiveTurn(async () => el, { minIntervalMs: 0, clock, logger });
    await live.whenOpened();
    live.onEvent(delta('x'));
    live.onEvent(delta('y'));
    await flush();
    expect(el.active).toBe(1);
    const finished = live.finish(end);
    await flush();
    expect(el.finished, 'finish waits for the update in flight').toEqual([]);
    el.held.shift()!();
    await expect(finished).resolves.toEqual({ status: 'sent', messageIds: ['m1'] });
    expect(el.maxActive).toBe(1);
    expect(el.events, 'no update after finish').toEqual(['update:x', 'finish']);
  });

  it('backs off after a slow update: the next waits twice its duration after it ended', async () => {
    const clock = new FakeClock();
    const el = new RecordingElement();
    el.hold = true;
    const live = new LiveTurn(async () => el, { minIntervalMs: 100, clock, logger });
    await live.whenOpened();
    live.onEvent(delta('a'));
    await flush();
    clock.setTimeout(() => {}, 300);
    clock.fireNext(); // the update took 300 ms
    el.held.shift()!();
    await flush();
    live.onEvent(delta('b'));
    await flush();
    expect(el.views.length).toBe(1);
    expect(
      clock.pending().map((t) => t.delayMs),
      'due 600 ms after the slow update ended, not after 100 ms',
    ).toEqual([600]);
  });

  it('stops updating an element that refused an update', async () => {
    const clock = new FakeClock();
    const el = new RecordingElement();
    el.answer = false;
    const live = new LiveTurn(async () => el, { minIntervalMs: 0, clock, logger });
    await live.whenOpened();
    live.onEvent(delta('a'));
    await flush();
    live.onEvent(delta('b'));
    await flush();
    expect(el.views.map((v) => v.text)).toEqual(['a']);
    await live.finish(end);
    expect(el.finished).toEqual([end]);
  });

  it('answers failed from finish when no element could be opened, so the caller sends', async () => {
    const clock = new FakeClock();
    const missing = new LiveTurn(async () => null, { minIntervalMs: 0, clock, logger });
    missing.onEvent(delta('a'));
    await expect(missing.finish(end)).resolves.toMatchObject({ status: 'failed', retryable: true });
    const broken = new LiveTurn(() => Promise.reject(new Error('429')), { minIntervalMs: 0, clock, logger });
    await expect(broken.finish(end)).resolves.toMatchObject({ status: 'failed' });
    expect(broken.ref).toBeNull();
  });
});
