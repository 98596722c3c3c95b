/**
 * Readiness of the service as health endpoints see it. A neutral module: the service
 * computes the report, channels and the health listener only receive a `ReadinessSource`.
 */

/** Where a channel adapter is in its lifecycle, as the service saw it. */
export type ChannelLifecycle = 'created' | 'starting' | 'started' | 'failed' | 'stopped';

export interface ReadinessReport {
  /** Every dispatcher's runtime is `ready` and every channel is started. */
  ready: boolean;
  dispatchers: Array<{ id: string; status: string }>;
  channels: Array<{ id: string; type: string; state: ChannelLifecycle }>;
}

/** The narrow port health endpoints read; called on every request. */
export type ReadinessSource = () => ReadinessReport;

/** Builds a report from the parts' states. */
export function readinessOf(
  dispatchers: ReadonlyArray<{ id: string; status: string }>,
  channels: ReadonlyArray<{ id: string; type: string; state: ChannelLifecycle }>,
): ReadinessReport {
  const ready = dispatchers.every((d) => d.status === 'ready') && channels.every((c) => c.state === 'started');
  return { ready, dispatchers: dispatchers.map((d) => ({ id: d.id, status: d.status })), channels: channels.map((c) => ({ ...c })) };
}
