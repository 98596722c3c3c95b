/**
 * Client for the admin socket (used by `switchboard status` and friends).
 */
import http from 'node:http';

/** The service is not running (no socket, or nobody listening). */
export class ServiceNotRunningError extends Error {
  /** @param fix the next step for the user; defaults to starting the service. */
  constructor(
    readonly socketPath: string,
    cause: string,
    fix = 'Start it with: switchboard serve --config <file>',
  ) {
    super(`Switchboard is not running (no service on ${socketPath}: ${cause}). ${fix}`);
    this.name = 'ServiceNotRunningError';
  }
}

/** The admin API answered with a non-2xx status; `body` is its parsed JSON. */
export class AdminApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'AdminApiError';
  }
}

/**
 * Sends one request (with an optional JSON body) and parses the JSON answer.
 * @throws ServiceNotRunningError when the socket is missing/refuses; AdminApiError on a non-2xx
 *   answer; Error on a timeout or a non-JSON answer.
 */
export function adminRequest<T>(socketPath: string, method: 'GET' | 'POST', route: string, opts: { body?: unknown; timeoutMs?: number } = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const headers = payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
    const req = http.request({ socketPath, method, path: route, timeout: timeoutMs, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          return reject(new Error(`admin API answered non-JSON (${res.statusCode}): ${body.slice(0, 200)}`));
        }
        if ((res.statusCode ?? 500) >= 300) {
          const p = parsed as { message?: string; error?: string };
          const msg = p.message ?? p.error ?? body;
          return reject(new AdminApiError(`admin API ${method} ${route} failed (${res.statusCode}): ${msg}`, res.statusCode ?? 500, parsed));
        }
        resolve(parsed as T);
      });
    });
    req.on('timeout', () => req.destroy(new Error(`admin API did not answer within ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') reject(new ServiceNotRunningError(socketPath, err.code));
      else reject(err);
    });
    req.end(payload);
  });
}
