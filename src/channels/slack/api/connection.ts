/**
 * The live state of a Socket Mode connection, from the events its `SocketModeClient` emits.
 *
 * Facts (@slack/socket-mode 3.1, node_modules/@slack/socket-mode/dist/src/SocketModeClient.js and
 * SlackWebSocket.js; Bolt 5.1 exposes the client as the public `SocketModeReceiver.client`,
 * node_modules/@slack/bolt/dist/receivers/SocketModeReceiver.d.ts):
 * - The client is an EventEmitter of its lifecycle: `connecting` (start(), also on every reconnect),
 *   `authenticated` (apps.connections.open answered), `connected` (Slack's `hello` arrived),
 *   `reconnecting`, `disconnecting` (our disconnect()), `disconnected`.
 * - When the WebSocket goes away (close frame, reset, failed upgrade, ping timeout, Slack's
 *   `disconnect` message) SlackWebSocket emits `close` on the client. Unless disconnect() was called,
 *   the client then waits `clientPingTimeout` (5 s by default) × consecutive failures and only then
 *   emits `reconnecting` and starts again; so `close` is already where the connection is lost.
 * - After our disconnect() it emits `disconnecting`, then `close`, then `disconnected`.
 */
import type { SocketModeReceiver } from '@slack/bolt';
import type { ChannelConnection } from '../../types.js';

type SocketModeClient = SocketModeReceiver['client'];

export interface SocketModeConnection {
  /** The current state (`disconnected` before the first `connecting`). */
  state(): ChannelConnection;
}

/**
 * Follows `client`'s events from now on. `onChange` hears every change of state (for logging).
 * Once connected, a new attempt counts as `reconnecting` (the client's own `connecting` follows its
 * `reconnecting`).
 */
export function trackSocketModeConnection(
  client: SocketModeClient,
  onChange?: (state: ChannelConnection, previous: ChannelConnection) => void,
): SocketModeConnection {
  let state: ChannelConnection = 'disconnected';
  let everConnected = false;
  let stopping = false;
  const set = (next: ChannelConnection): void => {
    if (next === state) return;
    const previous = state;
    state = next;
    onChange?.(next, previous);
  };
  client.on('connecting', () => {
    stopping = false;
    set(everConnected ? 'reconnecting' : 'connecting');
  });
  client.on('connected', () => {
    everConnected = true;
    set('connected');
  });
  client.on('reconnecting', () => set('reconnecting'));
  client.on('close', () => {
    if (!stopping) set(everConnected ? 'reconnecting' : 'connecting');
  });
  client.on('disconnecting', () => {
    stopping = true;
    set('disconnected');
  });
  client.on('disconnected', () => set('disconnected'));
  return { state: () => state };
}
