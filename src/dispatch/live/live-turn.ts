/**
 * Drives one turn's live element: folds the turn's events into a view (./turn-view.ts) and
 * pushes the newest view to the element at most once per `minIntervalMs`, one call at a time
 * (updates coalesce: a burst of deltas is one call), and never sooner than twice the previous
 * update's duration after it ended (slow updates back off by themselves). When the turn ends, `finish` stops the
 * updates, waits for the one in flight, and settles the element into the final message.
 *
 * The element is opened while the turn starts (`open` is called once, at construction):
 * events that arrive first are folded and shown when it is ready. An element that cannot be
 * opened (null), or that refuses an update (false), is left alone; `finish` then answers
 * `failed` for a missing element, so the caller posts the answer with `send()`.
 */
import type { LiveElement, LiveEnd, LiveView } from '../../channels/live.js';
import type { SendResult } from '../../channels/types.js';
import type { Clock } from '../../clock.js';
import type { TurnEvent } from '../../codex/turn-runner.js';
import type { Logger } from '../../log.js';
import { errorMessage } from '../../errors.js';
import { applyTurnEvent, initialTurnViewState, type TurnViewState } from './turn-view.js';

export interface LiveTurnOptions {
  /** Least time between two updates, ms. */
  minIntervalMs: number;
  clock: Clock;
  logger: Logger;
}

/** Counts of one live turn, for logs and benchmarks. */
export interface LiveTurnStats {
  /** `update` calls made. */
  updates: number;
  /** Events folded. */
  events: number;
}

export class LiveTurn {
  private state: TurnViewState = initialTurnViewState();
  /** The view last handed to the element; at first the empty view an element opens with. */
  private shown: LiveView = this.state.view;
  private element: LiveElement | null = null;
  /** False once the element is missing, refused an update, or the turn finished. */
  private updating = true;
  private inFlight: Promise<void> | null = null;
  private timer: { cancel(): void } | null = null;
  private lastUpdateAt = Number.NEGATIVE_INFINITY;
  private lastUpdateEnd = Number.NEGATIVE_INFINITY;
  /** How long the last update took, ms. */
  private lastUpdateMs = 0;
  private readonly opened: Promise<LiveElement | null>;
  readonly stats: LiveTurnStats = { updates: 0, events: 0 };

  constructor(
    open: () => Promise<LiveElement | null>,
    private readonly opts: LiveTurnOptions,
  ) {
    this.opened = open().then(
      (element) => {
        this.element = element;
        if (!element) this.updating = false;
        else this.schedule();
        return element;
      },
      (err: unknown) => {
        this.opts.logger.warn({ err: errorMessage(err) }, 'could not open the live element; the answer is sent when the turn ends');
        this.updating = false;
        return null;
      },
    );
  }

  /** The element's persisted reference once opened, else null. */
  get ref(): string | null {
    return this.element?.ref ?? null;
  }

  /** Resolves with the element (or null) once `open` settled. */
  whenOpened(): Promise<LiveElement | null> {
    return this.opened;
  }

  /** The view as the events so far make it. */
  get view(): LiveView {
    return this.state.view;
  }

  /** Folds `event` and schedules an update when the view changed. */
  onEvent(event: TurnEvent): void {
    this.stats.events++;
    const next = applyTurnEvent(this.state, event);
    if (next === this.state) return;
    this.state = next;
    this.schedule();
  }

  /**
   * Stops updating, waits for the update in flight, and settles the element with `end`.
   * `failed` (retryable) when no element was opened: the caller sends the final message.
   */
  async finish(end: LiveEnd): Promise<SendResult> {
    const element = await this.halt();
    if (!element) return { status: 'failed', error: 'no live element', retryable: true };
    return element.finish(end);
  }

  /**
   * Stops updating without finishing (the element is about to be abandoned) and waits for the
   * update in flight; resolves with the element (null when none was opened).
   */
  async halt(): Promise<LiveElement | null> {
    const element = await this.opened;
    this.updating = false;
    this.timer?.cancel();
    this.timer = null;
    if (this.inFlight) await this.inFlight;
    return element;
  }

  private schedule(): void {
    if (!this.updating || !this.element || this.inFlight || this.timer) return;
    if (this.shown === this.state.view) return;
    // Due after the interval from the last start, and never sooner than twice the last update's own
    // duration after its end: an element whose updates cost time (a large answer re-rendered each
    // time) gets at most a third of the time, so the turn's final answer is not held up by it.
    const due = Math.max(this.lastUpdateAt + this.opts.minIntervalMs, this.lastUpdateEnd + 2 * this.lastUpdateMs);
    const wait = due - this.opts.clock.now();
    if (wait > 0) {
      this.timer = this.opts.clock.setTimeout(() => {
        this.timer = null;
        this.schedule();
      }, wait);
      return;
    }
    this.push(this.element);
  }

  private push(element: LiveElement): void {
    const view = this.state.view;
    this.shown = view;
    this.lastUpdateAt = this.opts.clock.now();
    this.stats.updates++;
    this.inFlight = element
      .update(view)
      .then(
        (ok) => {
          if (!ok) {
            this.opts.logger.info('the live element refused an update; it is left as it is until the turn ends');
            this.updating = false;
          }
        },
        (err: unknown) => {
          this.opts.logger.warn({ err: errorMessage(err) }, 'live element update threw; updates stop');
          this.updating = false;
        },
      )
      .finally(() => {
        this.lastUpdateEnd = this.opts.clock.now();
        this.lastUpdateMs = this.lastUpdateEnd - this.lastUpdateAt;
        this.inFlight = null;
        this.schedule();
      });
  }
}
