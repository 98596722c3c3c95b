/**
 * `host:port` listen addresses of the channels that run an HTTP endpoint
 * (web chat, Slack HTTP mode, Feishu webhook).
 */

/** A parsed `host:port` listen address. */
export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * Parses `host:port` (port 0 = any free port).
 * @throws Error naming the expected form.
 */
export function parseListenAddress(listen: string): ListenAddress {
  const colon = listen.lastIndexOf(':');
  const host = colon > 0 ? listen.slice(0, colon) : '';
  const port = Number(listen.slice(colon + 1));
  if (host === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`invalid listen address "${listen}": expected "host:port", e.g. "127.0.0.1:8787"`);
  }
  return { host, port };
}

/** Browsable URL of a bound address (wildcard hosts shown as loopback), plus an optional path. */
export function urlOf(host: string, port: number, path = ''): string {
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}${path}`;
}
