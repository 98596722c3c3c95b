/**
 * Hostile HTTP clients for fault injection: raw requests that may carry any method, headers and
 * body (node:http, so wrong lengths and huge bodies are possible), bursts of concurrent
 * connections, and slowloris clients that trickle their headers. Every function answers with what
 * the server did — a status, or 0 when it cut the connection — and never throws.
 */
import http from 'node:http';
import net from 'node:net';

export interface RawRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  timeoutMs?: number;
}

/** Status of the answer to `req` on `baseUrl` (origin); 0 when the connection was cut or timed out. */
export function rawRequest(baseUrl: string, req: RawRequest): Promise<number> {
  const url = new URL(req.path ?? '/', baseUrl);
  return new Promise((resolve) => {
    const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body);
    const headers = { ...(body ? { 'content-length': String(body.length) } : {}), ...req.headers };
    const r = http.request(
      { host: url.hostname, port: url.port, method: req.method ?? 'POST', path: url.pathname + url.search, headers, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(res.statusCode ?? 0));
      },
    );
    r.setTimeout(req.timeoutMs ?? 15_000, () => r.destroy());
    r.on('error', () => resolve(0));
    if (body) r.end(body);
    else r.end();
  });
}

/** Counts of answers by class. */
export interface StatusCounts {
  requests: number;
  ok: number;
  client: number;
  server: number;
  /** No answer: the server closed the connection (e.g. after a 413 while the body was still being sent). */
  cut: number;
  /** The 5xx answers, `status request-name`. */
  serverErrors: string[];
  /** Names of the requests that got no answer. */
  cuts: string[];
}

export function emptyCounts(): StatusCounts {
  return { requests: 0, ok: 0, client: 0, server: 0, cut: 0, serverErrors: [], cuts: [] };
}

export function count(into: StatusCounts, status: number, what: string): void {
  into.requests++;
  if (status === 0) {
    into.cut++;
    into.cuts.push(what);
  } else if (status >= 500) {
    into.server++;
    into.serverErrors.push(`${status} ${what}`);
  } else if (status >= 400) into.client++;
  else into.ok++;
}

/** `N requests (2xx/3xx a, 4xx b, 5xx c, cut d: name ×n, …)`. */
export function formatCounts(c: StatusCounts): string {
  const byName = new Map<string, number>();
  for (const w of c.cuts) byName.set(w, (byName.get(w) ?? 0) + 1);
  const cuts = [...byName].map(([w, n]) => (n > 1 ? `${w} ×${n}` : w)).join(', ');
  return `${c.requests} requests (2xx/3xx ${c.ok}, 4xx ${c.client}, 5xx ${c.server}, cut ${c.cut}${cuts ? `: ${cuts}` : ''})`;
}

export interface SlowClients {
  /** Closes every slow client; resolves with how many the server had cut off before. */
  end(): Promise<{ opened: number; cutByServer: number; answered: number }>;
}

/**
 * Opens `sockets` connections to `baseUrl` that send a request line and then one header line every
 * `trickleMs`, never finishing the headers (slowloris).
 */
export function slowClients(baseUrl: string, path: string, sockets: number, trickleMs: number): SlowClients {
  const url = new URL(path, baseUrl);
  let cutByServer = 0;
  let answered = 0;
  let ending = false;
  const open: { socket: net.Socket; timer: NodeJS.Timeout }[] = [];
  for (let i = 0; i < sockets; i++) {
    const socket = net.connect(Number(url.port), url.hostname);
    let n = 0;
    socket.on('connect', () => socket.write(`POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\n`));
    socket.on('data', () => answered++);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      if (!ending) cutByServer++;
    });
    const timer = setInterval(() => {
      if (socket.writable) socket.write(`X-Slow-${n++}: ${'a'.repeat(8)}\r\n`);
    }, trickleMs);
    open.push({ socket, timer });
  }
  return {
    async end() {
      ending = true;
      await Promise.all(
        open.map(
          ({ socket, timer }) =>
            new Promise<void>((resolve) => {
              clearInterval(timer);
              if (socket.destroyed) return resolve();
              socket.once('close', () => resolve());
              socket.destroy();
            }),
        ),
      );
      return { opened: sockets, cutByServer, answered };
    },
  };
}
