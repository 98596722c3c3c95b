/**
 * Minimal HTTP clients for the benchmark: a Server-Sent Events reader that
 * timestamps every event on arrival, and a keep-alive JSON POST.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface SseEvent {
  event: string;
  data: string;
  /** performance.now() when the chunk carrying the event's end arrived. */
  at: number;
}

export interface SseStream {
  close(): void;
}

/**
 * Opens `url` as an event stream; resolves once the response headers arrived
 * (status 200). `onEvent` runs synchronously for each complete event.
 */
export function openSse(url: string, onEvent: (e: SseEvent) => void, onEnd: (why: string) => void): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    let closedByUs = false;
    const req = http.get(url, { agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`SSE ${url} answered ${res.statusCode}`));
        return;
      }
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const at = performance.now();
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
          }
          if (data.length > 0) onEvent({ event, data: data.join('\n'), at });
        }
      });
      res.on('close', () => {
        if (!closedByUs) onEnd('SSE stream closed by the server');
      });
      resolve({
        close() {
          closedByUs = true;
          req.destroy();
        },
      });
    });
    req.on('error', (err) => {
      if (!closedByUs) reject(err);
    });
  });
}

export interface JsonResponse {
  status: number;
  body: unknown;
}

/** POSTs `body` as JSON and resolves with the parsed answer. */
export function postJson(agent: http.Agent, url: string, body: unknown): Promise<JsonResponse> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, body: text === '' ? null : (JSON.parse(text) as unknown) });
          } catch (err) {
            reject(new Error(`POST ${url} answered non-JSON (${res.statusCode}): ${text.slice(0, 200)}`, { cause: err }));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
