/**
 * A guard in front of the Socket Mode client's frame handler, for the frames it cannot survive.
 *
 * Facts (@slack/socket-mode 3.1 dist/src/SocketModeClient.js): the client's WebSocket hands each
 * text frame to its own listener of the internal `ws_message` event (`onWebSocketMessage`, async).
 * For an `events_api` envelope that listener reads `payload.event.type` before anything else, so an
 * envelope whose payload has no `event` object makes it reject — an unhandled rejection, which ends
 * a Node process, and an envelope never acknowledged. Slack documents that `events_api` envelopes
 * carry an `event_callback` payload (api.slack.com/apis/socket-mode "Events API envelopes").
 *
 * {@link guardSocketFrames} re-registers that listener behind a repair: such an envelope reaches
 * the SDK with `payload.event` replaced by `{}` (its original value only ever fails the checks), so
 * the SDK parses it and hands it to Bolt like any other, and the inbound seam (../inbound/gate.ts)
 * acknowledges and logs it — as a malformed `event_callback`, an `app_rate_limited`, or a callback
 * it has no use for. A frame that is JSON but not an object (the SDK reads `.type` of it; there is
 * no envelope id to ack) is dropped with a warning. Any other frame goes to the SDK unchanged, and
 * a rejection of its handler is logged instead of left unhandled. If the SDK no longer registers
 * exactly one such listener the guard is not installed and says so (warn).
 */
import type { SocketModeReceiver } from '@slack/bolt';
import type { Logger } from '../../../log.js';

type SocketClient = SocketModeReceiver['client'];
type FrameListener = (data: string | ArrayBuffer, isBinary: boolean) => unknown;

const FRAME_EVENT = 'ws_message';

/**
 * What the SDK's frame handler can take: the frame unchanged (`data`), a repaired `events_api`
 * envelope (its `payload.event` replaced by `{}`), or nothing (`undefined`: JSON, but not an object).
 */
export function repairFrame(data: string | ArrayBuffer, isBinary: boolean): string | ArrayBuffer | undefined {
  if (isBinary) return data;
  let frame: unknown;
  try {
    frame = JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data));
  } catch {
    return data; // the SDK ignores unparsable frames itself
  }
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) return undefined;
  const f = frame as { type?: unknown; payload?: unknown };
  if (f.type !== 'events_api') return data;
  const payload = typeof f.payload === 'object' && f.payload !== null && !Array.isArray(f.payload) ? (f.payload as Record<string, unknown>) : {};
  if (typeof payload.event === 'object' && payload.event !== null) return data;
  return JSON.stringify({ ...f, payload: { ...payload, event: {} } });
}

/** Installs the guard on `client` (before it starts). */
export function guardSocketFrames(client: SocketClient, logger: Logger): void {
  const listeners = client.listeners(FRAME_EVENT) as FrameListener[];
  const sdk = listeners[0];
  if (listeners.length !== 1 || !sdk) {
    logger.warn({ listeners: listeners.length }, 'slack socket mode frame guard not installed: the SDK frame handler was not found');
    return;
  }
  client.removeListener(FRAME_EVENT, sdk);
  client.on(FRAME_EVENT, (data: string | ArrayBuffer, isBinary: boolean) => {
    const frame = repairFrame(data, isBinary);
    if (frame === undefined) {
      logger.warn('slack socket mode frame dropped: JSON that is not an object');
      return;
    }
    Promise.resolve(sdk(frame, isBinary)).catch((err: unknown) => logger.error({ err }, 'slack socket mode frame handling failed'));
  });
}
