/**
 * The loop that drains a durable queue, shared by the Dispatcher (inbound turns) and each
 * Teammate (tasks): one drain at a time; when a drain ends with work left it starts again, at once
 * after a normal end and after `retryMs` after a crash (e.g. the state file cannot be written), so
 * a failing entry is not retried in a hot loop.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';

/** Pause before the next drain after a crashed one, ms (the Dispatcher's and each Teammate's). */
export const PUMP_RETRY_MS = 1000;

export interface QueuePumpOptions {
  /** Drains the queue until it is empty or the owner halts; may throw. */
  drain: () => Promise<void>;
  /** True while entries wait. */
  hasWork: () => boolean;
  /** True once the owner stops taking work (stopping, closing). */
  halted: () => boolean;
  /** Called when a drain ends with nothing left to do (or halted). */
  onIdle?: () => void;
  /** Wait before the next drain after a crash, ms. */
  retryMs: number;
  clock: Clock;
  logger: Logger;
  /** Names the queue in the crash log line, e.g. `dispatcher queue`. */
  what: string;
}

export class QueuePump {
  private current: Promise<void> | null = null;

  constructor(private readonly opts: QueuePumpOptions) {}

  /** The drain in progress, or null (await it to let a stopping owner settle). */
  get running(): Promise<void> | null {
    return this.current;
  }

  /** Starts a drain unless one runs or the owner halted. */
  kick(): void {
    const o = this.opts;
    if (this.current !== null || o.halted()) return;
    let crashed = false;
    this.current = o
      .drain()
      .catch((err: unknown) => {
        crashed = true;
        o.logger.error({ err }, `${o.what} pump crashed; retrying in ${o.retryMs} ms`);
      })
      .finally(() => {
        this.current = null;
        if (o.halted() || !o.hasWork()) o.onIdle?.();
        else if (crashed) o.clock.setTimeout(() => this.kick(), o.retryMs);
        else this.kick();
      });
  }
}
