/**
 * Client for the admin socket (used by `switchboard status` and friends).
 */
import http from 'node:http';

/** The service is not running (no socket, or nobody listening). */
export class ServiceNotRunningError extends Error {
  constructor(readonly socketPath: string, cause: string) {
    super(`Switchboard is not running (no service on ${socketPath}: ${cause}). Start it with: switchboard serve --config <file>`);
    this.name = 'ServiceNotRunningError';
  }
}

/**
 * Sends one request and parses the JSON answer.
 * @throws ServiceNotRunningError when the socket is missing/refuses; Error on a non-2xx answer or timeout.
 */
export function adminRequest<T>(socketPath: string, method: 'GET' | 'POST', route: string, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path: route, timeout: timeoutMs }, (res) => {
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
          const msg = (parsed as { message?: string }).message ?? body;
          return reject(new Error(`admin API ${method} ${route} failed (${res.statusCode}): ${msg}`));
        }
        resolve(parsed as T);
      });
    });
    req.on('timeout', () => req.destroy(new Error(`admin API did not answer within ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') reject(new ServiceNotRunningError(socketPath, err.code));
      else reject(err);
    });
    req.end();
  });
}
