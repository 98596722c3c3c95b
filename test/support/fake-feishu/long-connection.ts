/**
 * The server side of Feishu's long connection ("长连接"), as @larksuiteoapi/node-sdk 1.74's WSClient
 * expects it:
 *  1. `POST /callback/ws/endpoint` with JSON `{AppID, AppSecret}` → `{code: 0, msg, data: {URL,
 *     ClientConfig}}`. The SDK reads `device_id` and `service_id` from the URL's query with
 *     `qs.parse(URL)` on the *whole* URL, so neither may be the first parameter (the first key
 *     swallows the `ws://…?` prefix). It re-pulls this endpoint before every (re)connect.
 *  2. A WebSocket to that URL exchanging binary protobuf Frames (frame.ts). The client sends a
 *     control frame `type: ping` right after opening and every PingInterval; the server answers
 *     `type: pong` whose payload is the ClientConfig JSON (the SDK re-applies it).
 *  3. Events are data frames (`method` 1) with headers type=event, message_id, sum, seq, trace_id and
 *     the JSON event body as payload (split over `sum` frames if large). After its handler settles
 *     the client echoes the frame back with a `biz_rt` header appended and payload `{"code":200}`
 *     (plus `data`: base64 JSON of a truthy handler result) or `{"code":500}` if the handler threw.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeFrame, encodeFrame, FRAME_METHOD, frameHeaders, headerMap, type Frame } from './frame.js';
import { newTicket } from './ids.js';
import type { ApiResult } from './open-api.js';
import type { RecordedAck, SendEventOptions, SendEventResult, WsClientConfig } from './types.js';

export const WS_PATH = '/ws/v2';

/** Fast defaults for tests (Feishu's own are 120 / -1 / 120 / 30 seconds). */
export const DEFAULT_CLIENT_CONFIG: WsClientConfig = {
  ReconnectCount: -1,
  ReconnectInterval: 0.2,
  ReconnectNonce: 0,
  PingInterval: 120,
};

interface Connection {
  id: number;
  ws: WebSocket;
  deviceId: string;
  serviceId: number;
  /** True once the client's first ping arrived, i.e. its start()/reconnect has wired the socket. */
  ready: boolean;
  pending: Map<string, (ack: RecordedAck | undefined) => void>;
}

export interface HubOptions {
  appId: string;
  appSecret: string;
  /** ws://127.0.0.1:PORT of the fake (known only after listen()). */
  wsBase: () => string;
  clientConfig: WsClientConfig;
}

export class LongConnectionHub {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly tickets = new Map<string, { deviceId: string; serviceId: number; expiresAt: number }>();
  private readonly conns: Connection[] = [];
  private readonly readyWaiters = new Set<() => void>();
  private nextConnId = 1;
  private nextServiceId = 1000;
  private seq = 1;
  /** Response frames the client sent back, in arrival order. */
  readonly acks: RecordedAck[] = [];
  /** Arrival times of the client's pings. */
  readonly pings: number[] = [];
  /** WebSocket connections accepted so far (reconnects count). */
  connectionCount = 0;
  /** While true, WebSocket upgrades are refused with 503 (see refuseConnections). */
  refusing = false;
  clientConfig: WsClientConfig;

  constructor(private readonly opts: HubOptions) {
    this.clientConfig = { ...opts.clientConfig };
  }

  get openSocketCount(): number {
    return this.conns.filter((c) => c.ws.readyState === c.ws.OPEN).length;
  }

  /** POST /callback/ws/endpoint */
  handleEndpoint(body: any): ApiResult {
    const appId: unknown = body?.AppID;
    const appSecret: unknown = body?.AppSecret;
    if (appId !== this.opts.appId || appSecret !== this.opts.appSecret) {
      // 514 is the SDK's ErrorCode.auth_failed: not retryable, the client fires onError and stops.
      return { status: 200, json: { code: 514, msg: 'auth failed', data: {} } };
    }
    const ticket = newTicket();
    const deviceId = `fake-device-${this.nextConnId}-${ticket.slice(0, 6)}`;
    const serviceId = this.nextServiceId++;
    this.tickets.set(ticket, { deviceId, serviceId, expiresAt: Date.now() + 60_000 });
    const query = new URLSearchParams({
      fpid: '1',
      aid: '1',
      device_id: deviceId,
      access_key: 'fake',
      service_id: String(serviceId),
      ticket,
    });
    return {
      status: 200,
      json: { code: 0, msg: 'ok', data: { URL: `${this.opts.wsBase()}${WS_PATH}?${query}`, ClientConfig: { ...this.clientConfig } } },
    };
  }

  /** Returns false when the request is not for the long-connection path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (url.pathname !== WS_PATH) return false;
    const ticket = url.searchParams.get('ticket') ?? '';
    const grant = this.tickets.get(ticket);
    this.tickets.delete(ticket); // single use: every reconnect must pull the endpoint again
    if (this.refusing) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return true;
    }
    if (!grant || grant.expiresAt < Date.now()) {
      socket.end(
        'HTTP/1.1 403 Forbidden\r\nhandshake-status: 403\r\nhandshake-msg: invalid ticket\r\n' +
          'handshake-autherrcode: 1000040344\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
      );
      return true;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, grant.deviceId, grant.serviceId));
    return true;
  }

  private accept(ws: WebSocket, deviceId: string, serviceId: number): void {
    const conn: Connection = { id: this.nextConnId++, ws, deviceId, serviceId, ready: false, pending: new Map() };
    this.conns.push(conn);
    this.connectionCount++;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return;
      let frame: Frame;
      try {
        frame = decodeFrame(data);
      } catch {
        return; // not a frame: ignore, as a lenient server would
      }
      this.onFrame(conn, frame);
    });
    ws.on('error', () => undefined);
    ws.on('close', () => {
      const i = this.conns.indexOf(conn);
      if (i >= 0) this.conns.splice(i, 1);
      for (const resolve of conn.pending.values()) resolve(undefined);
      conn.pending.clear();
    });
  }

  private onFrame(conn: Connection, frame: Frame): void {
    const headers = headerMap(frame);
    if (frame.method === FRAME_METHOD.control) {
      if (headers.type !== 'ping') return;
      this.pings.push(Date.now());
      this.send(conn, {
        SeqID: 0,
        LogID: 0,
        service: conn.serviceId,
        method: FRAME_METHOD.control,
        headers: frameHeaders({ type: 'pong' }),
        payload: Buffer.from(JSON.stringify(this.clientConfig)),
      });
      if (!conn.ready) {
        conn.ready = true;
        for (const w of [...this.readyWaiters]) w();
      }
      return;
    }
    // A data frame from the client is the response to one we sent.
    const messageId = headers.message_id ?? '';
    let payload: RecordedAck['payload'];
    try {
      payload = frame.payload ? JSON.parse(Buffer.from(frame.payload).toString('utf8')) : undefined;
    } catch {
      payload = undefined;
    }
    const ack: RecordedAck = { frameMessageId: messageId, headers, payload, at: Date.now() };
    this.acks.push(ack);
    const resolve = conn.pending.get(messageId);
    if (resolve) {
      conn.pending.delete(messageId);
      resolve(ack);
    }
  }

  private send(conn: Connection, frame: Frame): void {
    if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(encodeFrame(frame));
  }

  private readyConnection(): Connection | undefined {
    for (let i = this.conns.length - 1; i >= 0; i--) {
      const c = this.conns[i];
      if (c?.ready && c.ws.readyState === c.ws.OPEN) return c;
    }
    return undefined;
  }

  /**
   * Resolves when at least `minConnections` were accepted in total and an open one has pinged
   * (the SDK pings on open, just before wiring its message handler).
   */
  waitForConnection(minConnections = 1, timeoutMs = 3000): Promise<void> {
    const done = (): boolean => this.connectionCount >= minConnections && this.readyConnection() !== undefined;
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = (): void => {
        if (!done()) return;
        clearTimeout(timer);
        this.readyWaiters.delete(waiter);
        resolve();
      };
      const timer = setTimeout(() => {
        this.readyWaiters.delete(waiter);
        reject(
          new Error(
            `fake Feishu: no ready long connection #${minConnections} within ${timeoutMs} ms ` +
              `(accepted ${this.connectionCount}, open ${this.openSocketCount})`,
          ),
        );
      }, timeoutMs);
      this.readyWaiters.add(waiter);
    });
  }

  /** Sends `body` (an event JSON) as data frame(s) on the newest ready connection; waits for the response frame. */
  async deliver(body: object | string, o: SendEventOptions = {}): Promise<SendEventResult> {
    await this.waitForConnection(1, o.connectTimeoutMs ?? 3000);
    const conn = this.readyConnection();
    const frameMessageId = o.frameMessageId ?? `fake_msg_${randomUUID()}`;
    if (!conn) return { acked: false, frameMessageId };
    const bytes = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
    const sum = Math.max(1, Math.min(o.fragments ?? 1, bytes.length));
    const size = Math.ceil(bytes.length / sum);
    const traceId = randomUUID();
    const ackTimeoutMs = o.ackTimeoutMs ?? 3000;
    const acked = new Promise<RecordedAck | undefined>((resolve) => {
      const timer = setTimeout(() => {
        conn.pending.delete(frameMessageId);
        resolve(undefined);
      }, ackTimeoutMs);
      conn.pending.set(frameMessageId, (ack) => {
        clearTimeout(timer);
        resolve(ack);
      });
    });
    for (let i = 0; i < sum; i++) {
      const seq = this.seq++;
      this.send(conn, {
        SeqID: seq,
        LogID: seq,
        service: conn.serviceId,
        method: FRAME_METHOD.data,
        headers: frameHeaders({
          type: o.frameType ?? 'event',
          message_id: frameMessageId,
          sum: String(sum),
          seq: String(i),
          trace_id: traceId,
        }),
        payload: bytes.subarray(i * size, Math.min(bytes.length, (i + 1) * size)),
      });
    }
    const ack = await acked;
    if (!ack) return { acked: false, frameMessageId };
    const result: SendEventResult = { acked: true, frameMessageId };
    if (ack.payload !== undefined) result.ackPayload = ack.payload;
    if (typeof ack.payload?.code === 'number') result.code = ack.payload.code;
    if (ack.headers.biz_rt !== undefined) result.bizRt = ack.headers.biz_rt;
    if (typeof ack.payload?.data === 'string') {
      const decoded = Buffer.from(ack.payload.data, 'base64').toString('utf8');
      try {
        result.handlerResult = JSON.parse(decoded);
      } catch {
        result.handlerResult = decoded;
      }
    }
    return result;
  }

  /** Drops every open connection: 'close' = clean close frame (default), 'terminate' = TCP reset. */
  async disconnectAll(mode: 'close' | 'terminate' = 'close'): Promise<void> {
    const closing = this.conns.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.ws.readyState === c.ws.CLOSED) return resolve();
          c.ws.once('close', () => resolve());
          if (mode === 'terminate') c.ws.terminate();
          else c.ws.close(1000, 'fake server closed the connection');
        }),
    );
    await Promise.all(closing);
  }

  async close(): Promise<void> {
    for (const c of [...this.conns]) c.ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
