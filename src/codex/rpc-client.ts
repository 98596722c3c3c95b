/**
 * JSON-RPC client for `codex app-server --listen unix://PATH` (a WebSocket on a
 * unix socket). Messages carry no `"jsonrpc"` field; kinds are told apart by
 * shape (codex app-server v2 wire format).
 */
import WebSocket from 'ws';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { errorMessage } from '../errors.js';
import { isServerNotificationMethod, type ClientMethod, type ClientRequests, type JsonRpcError, type RequestId, type ServerNotification } from './protocol.js';
import { isServerRequestMethod, type ServerRequest, type ServerRequestReply } from './server-requests.js';

/** The app-server answered a request with an error. */
export class RpcError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(`${method}: ${message} (code ${code})`);
    this.name = 'RpcError';
  }
  /**
   * True when the app-server does not know the method itself: it answers
   * `unknown variant \`<method>\`` (codex app-server 0.169). A bad enum value in
   * the params of a known method says `unknown variant` too, naming the value.
   */
  get isUnknownMethod(): boolean {
    return this.message.includes(`unknown variant \`${this.method}\``);
  }
}

/** No answer within the request timeout. */
export class RpcTimeoutError extends Error {
  constructor(
    readonly method: string,
    readonly timeoutMs: number,
  ) {
    super(`${method}: no answer within ${timeoutMs} ms`);
    this.name = 'RpcTimeoutError';
  }
}

/** The connection closed before the answer came. */
export class RpcClosedError extends Error {
  constructor(
    readonly method: string,
    reason: string,
  ) {
    super(`${method}: connection closed (${reason})`);
    this.name = 'RpcClosedError';
  }
}

/**
 * Receives the notifications Switchboard reads (protocol.ts `ServerNotification`); others are
 * logged at trace level and dropped. Params are as the app-server sent them (the schema test checks
 * the shapes against the bundled codex).
 */
export type NotificationHandler = (notification: ServerNotification) => void;

/**
 * Offered each server request Switchboard answers (./server-requests.ts): returns the answer
 * (a promise, resolved whenever someone decided) or null when the request is not this handler's
 * (another thread). A request no handler takes is declined at once.
 */
export type ServerRequestHandler = (request: ServerRequest) => Promise<ServerRequestReply> | null;

interface Pending {
  method: string;
  resolve(result: unknown): void;
  reject(err: Error): void;
  timer: { cancel(): void };
}

export interface RpcClientOptions {
  logger: Logger;
  /** Default timeout of one request, ms. */
  requestTimeoutMs: number;
  /** Time source of request timeouts. */
  clock: Clock;
}

export class RpcClient {
  private nextId = 1;
  private readonly pending = new Map<RequestId, Pending>();
  private readonly notificationHandlers = new Set<NotificationHandler>();
  private readonly requestHandlers = new Set<ServerRequestHandler>();
  private readonly closeHandlers = new Set<(reason: string) => void>();
  private closedReason: string | null = null;

  private constructor(
    private readonly ws: WebSocket,
    private readonly opts: RpcClientOptions,
  ) {
    ws.on('message', (data: WebSocket.RawData) => this.onMessage(data));
    ws.on('close', (code: number) => this.onClosed(`socket closed (${code})`));
    ws.on('error', (err: Error) => this.opts.logger.warn({ err: err.message }, 'app-server socket error'));
  }

  /**
   * Connects to the app-server's unix socket.
   * @throws Error when the socket refuses or does not open within `timeoutMs`.
   */
  static connect(socketPath: string, opts: RpcClientOptions & { timeoutMs: number }): Promise<RpcClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws+unix://${socketPath}`, { handshakeTimeout: opts.timeoutMs, maxPayload: 256 * 1024 * 1024 });
      const fail = (err: Error): void => {
        ws.removeAllListeners();
        ws.on('error', () => undefined);
        ws.terminate();
        reject(err);
      };
      ws.once('error', fail);
      ws.once('open', () => {
        ws.off('error', fail);
        resolve(new RpcClient(ws, opts));
      });
    });
  }

  /** Null while open; else why it closed. */
  get closed(): string | null {
    return this.closedReason;
  }

  /**
   * Sends a typed request and resolves with its result.
   * @throws RpcError | RpcTimeoutError | RpcClosedError
   */
  request<M extends ClientMethod>(method: M, params: ClientRequests[M]['params'], timeoutMs?: number): Promise<ClientRequests[M]['result']> {
    return this.requestRaw(method, params, timeoutMs) as Promise<ClientRequests[M]['result']>;
  }

  /** Untyped request for methods outside `ClientRequests` (e.g. diagnostics in tests). */
  requestRaw(method: string, params: unknown, timeoutMs = this.opts.requestTimeoutMs): Promise<unknown> {
    if (this.closedReason !== null) return Promise.reject(new RpcClosedError(method, this.closedReason));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = this.opts.clock.setTimeout(() => {
        this.pending.delete(id);
        reject(new RpcTimeoutError(method, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { method, resolve, reject, timer });
      this.send({ id, method, params });
    });
  }

  /** Sends a notification (no answer). */
  notify(method: string, params?: unknown): void {
    if (this.closedReason !== null) return;
    this.send(params === undefined ? { method } : { method, params });
  }

  /** Registers a notification handler; returns its unsubscribe function. */
  /** Adds a server-request handler; returns its removal. */
  onServerRequest(handler: ServerRequestHandler): () => void {
    this.requestHandlers.add(handler);
    return () => this.requestHandlers.delete(handler);
  }

  onNotification(handler: NotificationHandler): () => void {
    this.notificationHandlers.add(handler);
    return () => this.notificationHandlers.delete(handler);
  }

  /** Called once when the connection closes (by either side); returns its unsubscribe function. */
  onClose(handler: (reason: string) => void): () => void {
    if (this.closedReason !== null) {
      handler(this.closedReason);
      return () => undefined;
    }
    this.closeHandlers.add(handler);
    return () => this.closeHandlers.delete(handler);
  }

  /** Closes the connection; pending requests fail with RpcClosedError. Idempotent. */
  async close(): Promise<void> {
    if (this.closedReason !== null) return;
    const done = new Promise<void>((resolve) => this.ws.once('close', () => resolve()));
    this.onClosed('closed by client');
    this.ws.close();
    // A bounded wait for the close handshake (real time: it guards the socket, not a protocol step).
    await Promise.race([done, new Promise((r) => setTimeout(r, 1000))]);
    this.ws.terminate();
  }

  private send(message: object): void {
    this.ws.send(JSON.stringify(message));
  }

  private onMessage(data: WebSocket.RawData): void {
    // ws hands over whole messages, so decoding here never splits a UTF-8 sequence.
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
    let msg: { id?: RequestId; method?: string; params?: unknown; result?: unknown; error?: JsonRpcError };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      this.opts.logger.warn({ bytes: text.length }, 'app-server sent a message that is not JSON; ignored');
      return;
    }
    if (msg.id !== undefined && msg.method !== undefined) {
      this.onServerRequestMessage(msg.id, msg.method, msg.params);
    } else if (msg.id !== undefined) {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      p.timer.cancel();
      if (msg.error) p.reject(new RpcError(p.method, msg.error.code, msg.error.message, msg.error.data));
      else p.resolve(msg.result);
    } else if (msg.method !== undefined) {
      if (!isServerNotificationMethod(msg.method)) {
        this.opts.logger.trace({ method: msg.method }, 'app-server notification not read by Switchboard');
        return;
      }
      // The one place wire data becomes the typed union: the method is known, the params are codex's.
      const notification = { method: msg.method, params: msg.params } as ServerNotification;
      for (const h of this.notificationHandlers) {
        try {
          h(notification);
        } catch (err) {
          this.opts.logger.error({ err, method: msg.method }, 'notification handler threw');
        }
      }
    }
  }

  /** Hands a server request to the first handler that takes it; one no handler takes is declined. */
  private onServerRequestMessage(id: RequestId, method: string, params: unknown): void {
    let reply: Promise<ServerRequestReply> | null = null;
    if (isServerRequestMethod(method)) {
      // The one place wire data becomes the typed union: the method is known, the params are codex's.
      const request = { id, method, params } as ServerRequest;
      for (const h of this.requestHandlers) {
        try {
          reply = h(request);
        } catch (err) {
          this.opts.logger.error({ err: errorMessage(err), method }, 'server request handler threw');
        }
        if (reply) break;
      }
    }
    if (!reply) {
      this.opts.logger.warn({ method }, 'declined app-server request: no running turn asks for it');
      this.answerServerRequest(id, { status: 'error', message: `Switchboard declines ${method}: no one to ask` });
      return;
    }
    reply.then(
      (r) => this.answerServerRequest(id, r),
      (err: unknown) => this.answerServerRequest(id, { status: 'error', message: `Switchboard could not answer: ${errorMessage(err)}` }),
    );
  }

  /** Sends the answer to server request `id`, unless the connection is gone (a restarted app-server will not take it). */
  private answerServerRequest(id: RequestId, reply: ServerRequestReply): void {
    if (this.closedReason !== null) return;
    if (reply.status === 'result') this.send({ id, result: reply.result });
    else this.send({ id, error: { code: -32000, message: reply.message } });
  }

  private onClosed(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    for (const [id, p] of this.pending) {
      p.timer.cancel();
      p.reject(new RpcClosedError(p.method, reason));
      this.pending.delete(id);
    }
    for (const h of this.closeHandlers) h(reason);
    this.closeHandlers.clear();
  }
}
