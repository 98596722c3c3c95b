/**
 * Start/stop sequencing shared by the channel adapters: one start at a time (a second start throws,
 * also one called in the same tick as the first), a stop waits for a start in progress, stop is
 * idempotent, and a stopped adapter can be started again.
 */
export class StartStopGate {
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  /** `label` names the adapter in errors, e.g. `slack channel "team"`. */
  constructor(private readonly label: string) {}

  /**
   * Runs `run` unless the adapter is running or starting.
   * @throws Error when already started; whatever `run` throws.
   */
  async start(running: boolean, run: () => Promise<void>): Promise<void> {
    if (running || this.starting) throw new Error(`${this.label} is already started`);
    // Claimed before the first await: a start called in the same tick must see this one.
    const stopping = this.stopping;
    const pending = (async () => {
      await stopping;
      // A stop() issued since then waits for this start and is kept for the next start to await.
      if (this.stopping === stopping) this.stopping = undefined;
      await run();
    })();
    this.starting = pending.catch(() => undefined);
    try {
      await pending;
    } finally {
      this.starting = undefined;
    }
  }

  /** Runs `run` once per stop, after a start in progress has settled. */
  stop(run: () => Promise<void>): Promise<void> {
    this.stopping ??= (async () => {
      await this.starting;
      await run();
    })();
    return this.stopping;
  }
}
