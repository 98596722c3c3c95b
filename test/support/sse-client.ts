/**
 * A small Server-Sent Events client for tests (node:http; the format of
 * https://html.spec.whatwg.org/multipage/server-sent-events.html as the web chat writes it:
 * `event:` and `data:` lines, frames ended by a blank line, `:` comments). Collects every event
 * and comment; `waitFor` resolves as soon as one matching arrives (no sleeps). A stream the
 * server drops (a killed service) just ends: `ended` resolves, nothing throws.
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
  /** The text of every `:` comment line (keep-alives), trimmed. */
  readonly comments: string[];
  /** Resolves once the response closed (the server ended it, or close()). */
  readonly ended: Promise<void>;
  /** Resolves with the first event (already received or still to come) matching `pred`. */
  waitFor(pred: (e: SseEvent) => boolean, ms?: number): Promise<SseEvent>;
  /** Resolves once a comment `text` arrived. */
  waitForComment(text: string, ms?: number): Promise<void>;
  /** The data of events named `name`, parsed as JSON, in arrival order. */
  data<T>(name: string): T[];
  /** Calls `listener` with each event that arrives from now on. */
  onEvent(listener: (e: SseEvent) => void): void;
  close(): void;
}

/** Opens `url` as an event stream with request `headers`; resolves once the response headers arrived. */
export function openSseClient(url: string, headers: http.OutgoingHttpHeaders = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      const events: SseEvent[] = [];
      const comments: string[] = [];
      const waiters = new Set<() => void>();
      const listeners: ((e: SseEvent) => void)[] = [];
      const ended = new Promise<void>((done) => res.on('close', () => done()));
      let buf = '';
      res.setEncoding('utf8');
      res.on('error', () => undefined);
      res.on('data', (chunk: string) => {
        buf += chunk;
        for (let cut = buf.indexOf('\n\n'); cut !== -1; cut = buf.indexOf('\n\n')) {
          const frame = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of frame.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (!data.length) continue;
          const e = { event, data: data.join('\n') };
          events.push(e);
          for (const l of listeners) l(e);
        }
        for (const w of [...waiters]) w();
      });
      const poll = <T>(check: () => T | undefined, ms: number, what: string): Promise<T> =>
        new Promise((ok, fail) => {
          const tryNow = (): void => {
            const v = check();
            if (v === undefined) return;
            clearTimeout(timer);
            waiters.delete(tryNow);
            ok(v);
          };
          const timer = setTimeout(() => {
            waiters.delete(tryNow);
            fail(new Error(`timed out waiting for ${what}; got ${JSON.stringify(events)}`));
          }, ms);
          waiters.add(tryNow);
          tryNow();
        });
      resolve({
        status: res.statusCode ?? 0,
        events,
        comments,
        ended,
        waitFor: (pred, ms = 5_000) => poll(() => events.find(pred), ms, 'an SSE event'),
        waitForComment: (text, ms = 5_000) => poll(() => (comments.includes(text) ? true : undefined), ms, `comment "${text}"`).then(() => undefined),
        data: <T>(name: string): T[] => events.filter((e) => e.event === name).map((e) => JSON.parse(e.data) as T),
        onEvent: (listener) => void listeners.push(listener),
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}
