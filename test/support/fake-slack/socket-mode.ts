/**
 * The Socket Mode side of the fake: a WebSocket endpoint reached through the URL that
 * apps.connections.open hands out. It greets each connection with `hello`, delivers envelopes,
 * collects acks (`{envelope_id, payload?}`) and can drop connections the ways Slack does.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { DisconnectMode } from './types.js';

export interface Envelope {
  envelope_id: string;
  type: string;
  payload: Record<string, unknown>;
  accepts_response_payload: boolean;
  retry_attempt?: number;
  retry_reason?: string;
}

export interface RecordedAck {
  envelopeId: string;
  payload: unknown;
  at: number;
}

export interface DeliverOptions {
  ackTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export const SOCKET_PATH = '/socket';

interface PendingAck {
  resolve(ack: RecordedAck | undefined): void;
}

export class SocketModeHub {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly tickets = new Set<string>();
  /** Open connections (sent hello), oldest first. */
  private readonly sockets: WebSocket[] = [];
  /** Those whose client has shown it processed hello (see onConnection). */
  private readonly ready = new Set<WebSocket>();
  private readonly pendingAcks = new Map<string, PendingAck>();
  private readonly connectWaiters = new Set<() => void>();
  readonly acks: RecordedAck[] = [];
  /** Messages received that were not acks (parsed JSON, or the raw string). */
  readonly otherMessages: unknown[] = [];
  /** Connections accepted since start (reconnects count). */
  connectionCount = 0;
  /** While true, WebSocket upgrades are refused with 503 (see refuseConnections). */
  refusing = false;
  private closed = false;

  constructor(
    private readonly appId: string,
    private readonly baseWsUrl: () => string,
  ) {}

  /** A one-time URL for apps.connections.open. */
  issueUrl(): string {
    const ticket = randomUUID();
    this.tickets.add(ticket);
    return `${this.baseWsUrl()}${SOCKET_PATH}?ticket=${ticket}&app_id=${this.appId}`;
  }

  get openSocketCount(): number {
    return this.sockets.length;
  }

  /** Handles an HTTP upgrade; returns false when the request is not for the Socket Mode path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (url.pathname !== SOCKET_PATH) return false;
    const ticket = url.searchParams.get('ticket') ?? '';
    if (this.refusing) {
      this.tickets.delete(ticket);
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return true;
    }
    if (this.closed || !this.tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return true;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws));
    return true;
  }

  /**
   * Greets a new connection with hello, then pings it: frames are handled in order, so the pong
   * proves the client has processed hello (for @slack/socket-mode: emitted `connected`, settling
   * its start()). Envelopes only go to connections that have shown this.
   */
  private onConnection(ws: WebSocket): void {
    this.connectionCount += 1;
    this.sockets.push(ws);
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('close', () => this.forget(ws));
    ws.on('error', () => this.forget(ws));
    ws.once('pong', () => {
      if (ws.readyState !== WebSocket.OPEN || !this.sockets.includes(ws)) return;
      this.ready.add(ws);
      for (const w of [...this.connectWaiters]) w();
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.sockets.length,
        debug_info: { host: 'applink-fake-1', build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: this.appId },
      }),
    );
    ws.ping(Buffer.from('fake-slack-hello-check'));
  }

  private forget(ws: WebSocket): void {
    this.ready.delete(ws);
    const i = this.sockets.indexOf(ws);
    if (i >= 0) this.sockets.splice(i, 1);
  }

  /** The newest connection whose client has processed hello. */
  private newestReady(): WebSocket | undefined {
    for (let i = this.sockets.length - 1; i >= 0; i--) {
      const ws = this.sockets[i];
      if (ws && this.ready.has(ws) && ws.readyState === WebSocket.OPEN) return ws;
    }
    return undefined;
  }

  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    const text = isBinary ? undefined : data.toString();
    let parsed: unknown = text;
    try {
      if (text !== undefined) parsed = JSON.parse(text);
    } catch {
      // keep the raw string
    }
    const envelopeId = parsed !== null && typeof parsed === 'object' ? (parsed as { envelope_id?: unknown }).envelope_id : undefined;
    if (typeof envelopeId !== 'string') {
      this.otherMessages.push(parsed);
      return;
    }
    const ack: RecordedAck = { envelopeId, payload: (parsed as { payload?: unknown }).payload, at: Date.now() };
    this.acks.push(ack);
    const pending = this.pendingAcks.get(envelopeId);
    if (pending) {
      this.pendingAcks.delete(envelopeId);
      pending.resolve(ack);
    }
  }

  /**
   * Resolves once at least `minConnections` connections were accepted in total and an open one has
   * processed hello (so its client is fully started); rejects after `timeoutMs`.
   */
  waitForConnection(minConnections = 1, timeoutMs = 5000): Promise<void> {
    const ready = (): boolean => this.connectionCount >= minConnections && this.newestReady() !== undefined;
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = (): void => {
        if (!ready()) return;
        clearTimeout(timer);
        this.connectWaiters.delete(waiter);
        resolve();
      };
      const timer = setTimeout(() => {
        this.connectWaiters.delete(waiter);
        reject(
          new Error(
            `fake Slack: no Socket Mode connection #${minConnections} within ${timeoutMs} ms ` +
              `(accepted ${this.connectionCount}, open ${this.sockets.length})`,
          ),
        );
      }, timeoutMs);
      this.connectWaiters.add(waiter);
    });
  }

  /**
   * Sends an envelope on the newest open connection (waiting up to connectTimeoutMs for one) and
   * resolves with its ack, or undefined when none came within ackTimeoutMs.
   */
  async deliver(envelope: Envelope, opts: DeliverOptions = {}): Promise<RecordedAck | undefined> {
    await this.waitForConnection(1, opts.connectTimeoutMs ?? 5000);
    const ws = this.newestReady();
    if (!ws) throw new Error('fake Slack: no open Socket Mode connection');
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pendingAcks.delete(envelope.envelope_id);
        resolve(undefined);
      }, opts.ackTimeoutMs ?? 3000);
      this.pendingAcks.set(envelope.envelope_id, {
        resolve: (ack) => {
          clearTimeout(timer);
          resolve(ack);
        },
      });
      ws.send(JSON.stringify(envelope));
    });
  }

  /** Sends any JSON message to every open connection. */
  broadcast(message: object): void {
    const text = JSON.stringify(message);
    for (const ws of this.sockets) ws.send(text);
  }

  /**
   * Drops every open connection and resolves once they are closed (forcing them after 2 s).
   * See DisconnectMode for the three ways.
   */
  async disconnectAll(mode: DisconnectMode = 'refresh'): Promise<void> {
    const sockets = [...this.sockets];
    await Promise.all(
      sockets.map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === WebSocket.CLOSED) return resolve();
            const force = setTimeout(() => ws.terminate(), 2000);
            ws.once('close', () => {
              clearTimeout(force);
              resolve();
            });
            if (mode === 'terminate') ws.terminate();
            else if (mode === 'close') ws.close(1001, 'going away');
            else ws.send(JSON.stringify({ type: 'disconnect', reason: 'refresh_requested', debug_info: { host: 'applink-fake-1' } }));
          }),
      ),
    );
    for (const ws of sockets) this.forget(ws);
  }

  /**
   * Shuts the endpoint: every connection gets a close frame (1001) and 250 ms to finish the
   * handshake before it is destroyed. Stop the app first: Bolt's stop() resolves before its own close
   * handshake completes, and a still-running client would try to reconnect to a server that is gone.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.pendingAcks.values()) pending.resolve(undefined);
    this.pendingAcks.clear();
    await Promise.all(
      [...this.wss.clients].map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === WebSocket.CLOSED) return resolve();
            if (ws.readyState === WebSocket.OPEN) ws.close(1001, 'going away');
            const t = setTimeout(() => {
              ws.terminate();
              resolve();
            }, 250);
            ws.once('close', () => {
              clearTimeout(t);
              resolve();
            });
          }),
      ),
    );
    this.sockets.length = 0;
    this.ready.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
