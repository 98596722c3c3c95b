/**
 * Readiness of the service as health endpoints see it. A neutral module: the service
 * computes the report, channels and the health listener only receive a `ReadinessSource`.
 * It meets the channels only at their port (`ChannelConnection` of ../channels/types.ts).
 */
import type { ChannelConnection } from '../channels/types.js';

/** Where a channel adapter is in its lifecycle, as the service saw it. */
export type ChannelLifecycle = 'created' | 'starting' | 'started' | 'failed' | 'stopped';

/**
 * A channel's state in the report: its lifecycle until it has started, then its live connection
 * (`connected`, `connecting`, `reconnecting`, `disconnected`; see ChannelConnection).
 */
export type ChannelState = Exclude<ChannelLifecycle, 'started'> | ChannelConnection;

export interface ReadinessReport {
  /** Every dispatcher's runtime is `ready` (or `idle`: it starts on its next message), every channel is started and `connected`, and the state is writable. */
  ready: boolean;
  dispatchers: Array<{ id: string; status: string }>;
  channels: Array<{ id: string; type: string; state: ChannelState }>;
  /** Whether the state can be written; `error` is the latest write error while it cannot (null otherwise). */
  storage: StorageReadiness;
}

/** The state store's health as readiness reports it. */
export interface StorageReadiness {
  writable: boolean;
  error: string | null;
}

/** The narrow port health endpoints read; called on every request. */
export type ReadinessSource = () => ReadinessReport;

/** One channel as the service sees it: lifecycle, and the adapter's live connection where it reports one. */
export interface ChannelReadinessInput {
  id: string;
  type: string;
  lifecycle: ChannelLifecycle;
  /** The adapter's `connection()`; absent: a started channel counts as `connected`. */
  connection?: ChannelConnection;
}

/** A channel's reported state: its lifecycle, or once started its connection. */
export function channelStateOf(c: Pick<ChannelReadinessInput, 'lifecycle' | 'connection'>): ChannelState {
  return c.lifecycle === 'started' ? (c.connection ?? 'connected') : c.lifecycle;
}

/** Builds a report from the parts' states (storage: writable when absent). */
export function readinessOf(
  dispatchers: ReadonlyArray<{ id: string; status: string }>,
  channels: ReadonlyArray<ChannelReadinessInput>,
  storage: StorageReadiness = { writable: true, error: null },
): ReadinessReport {
  const reported = channels.map((c) => ({ id: c.id, type: c.type, state: channelStateOf(c) }));
  // An idle dispatcher (stopped for want of use, or not started yet: lazyStart) starts on its next message.
  const ready = storage.writable && dispatchers.every((d) => d.status === 'ready' || d.status === 'idle') && reported.every((c) => c.state === 'connected');
  return { ready, dispatchers: dispatchers.map((d) => ({ id: d.id, status: d.status })), channels: reported, storage: { ...storage } };
}
