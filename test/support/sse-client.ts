/**
 * A small Server-Sent Events client for tests (node:http; the format of
 * https://html.spec.whatwg.org/multipage/server-sent-events.html as the web chat writes it:
 * `event:` and `data:` lines, frames ended by a blank line, `:` comments). Collects every event;
 * `waitFor` resolves as soon as one matching arrives (no sleeps).
 */
import http from 'node:http';

export interface SseEvent {
  event: string;
  /** The raw data (JSON in the web chat). */
  data: string;
}

export interface SseClient {
  readonly status: number;
  readonly events: SseEvent[];
  /** Resolves with the first event (already received or still to come) matching `pred`. */
  waitFor(pred: (e: SseEvent) => boolean, ms?: number): Promise<SseEvent>;
  /** The data of events named `name`, parsed as JSON, in arrival order. */
  data<T>(name: string): T[];
  close(): void;
}

/** Opens `url` as an event stream; resolves once the response headers arrived. */
export function openSseClient(url: string): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      const events: SseEvent[] = [];
      const waiters = new Set<() => void>();
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        for (let cut = buf.indexOf('\n\n'); cut !== -1; cut = buf.indexOf('\n\n')) {
          const frame = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of frame.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length) events.push({ event, data: data.join('\n') });
        }
        for (const w of [...waiters]) w();
      });
      resolve({
        status: res.statusCode ?? 0,
        events,
        waitFor(pred, ms = 5_000) {
          return new Promise((ok, fail) => {
            const check = (): boolean => {
              const hit = events.find(pred);
              if (!hit) return false;
              clearTimeout(timer);
              waiters.delete(check);
              ok(hit);
              return true;
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`timed out waiting for an SSE event; got ${JSON.stringify(events)}`));
            }, ms);
            waiters.add(check);
            check();
          });
        },
        data<T>(name: string): T[] {
          return events.filter((e) => e.event === name).map((e) => JSON.parse(e.data) as T);
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}
