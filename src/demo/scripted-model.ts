/**
 * Scripted Responses-API endpoint: a tiny local HTTP server that codex can use as its model
 * provider (see ./codex-home.ts). Used by `switchboard demo` (default script: the demo repertoire
 * of ./demo-script.ts) and by tests (custom scripts: replies, tool calls, HTTP errors, hangs, failed streams).
 *
 * Routes:
 * - `POST /v1/responses` (JSON body `{model, stream, input:[...], tools, ...}`) → `text/event-stream`
 *   produced from the script's {@link ScriptStep} (a reply, a function call, or a freeform
 *   `custom_tool_call` such as codex's `apply_patch`).
 * - Anything else → 404 `{"error":{"message":...}}`. A body that is not a JSON object → 400.
 *   A script that throws → 400 naming the request (a 5xx would make codex retry the same request and
 *   report "high demand"; a 4xx fails the turn at once, with this text), also kept in `scriptErrors`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, inflateSync, brotliDecompressSync } from 'node:zlib';
import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import { silentLogger } from '../log.js';
import { demoScript } from './demo-script.js';
import type { EchoedFunctionCall, FunctionOutput, InputMessage, ModelRequest, ScriptFn, ScriptStep } from './script-types.js';

export type { ModelRequest, ScriptFn, ScriptStep } from './script-types.js';

/** A request as recorded by the server (only `POST /v1/responses` with a valid body). */
export interface RecordedRequest extends ModelRequest {
  method: string;
  /** Request path, e.g. `/v1/responses`. */
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Epoch milliseconds when the body was fully received. */
  receivedAt: number;
}

export interface ScriptedModelOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Bind address, default `127.0.0.1`. */
  host?: string;
  /** Default {@link demoScript}. */
  script?: ScriptFn;
  logger?: Logger;
}

export interface ScriptedModel {
  /** Base URL for codex's provider `base_url`, e.g. `http://127.0.0.1:PORT/v1`. */
  url: string;
  port: number;
  /** Recorded requests, in arrival order (live array). */
  requests: RecordedRequest[];
  /** One line per request the script threw on: the request (index, last user text) and the error. */
  scriptErrors: string[];
  /** Replaces the script for subsequent requests. */
  setScript(fn: ScriptFn): void;
  /** Ends hanging/delayed responses, closes all connections and the server. Idempotent. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Request parsing

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Flattens a content value (string, or array of `{text}` parts) to text. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (isRecord(part) && typeof part.text === 'string' ? part.text : ''))
      .filter((t) => t !== '')
      .join('\n');
  }
  return '';
}

/** Flattens a function_call_output `output` (string, content-part array, or object) to a string. */
function outputText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) return contentText(output);
  if (isRecord(output) && typeof output.content === 'string') return output.content;
  return output === undefined ? '' : JSON.stringify(output);
}

/** Builds a {@link ModelRequest} from a parsed JSON body. */
export function parseModelRequest(body: unknown): ModelRequest {
  const obj = isRecord(body) ? body : {};
  const input = Array.isArray(obj.input) ? (obj.input as unknown[]) : [];
  const messages: InputMessage[] = [];
  const functionOutputs: FunctionOutput[] = [];
  const functionCalls: EchoedFunctionCall[] = [];
  const texts: string[] = [];
  for (const item of input) {
    if (!isRecord(item)) continue;
    const type = item.type;
    if ((type === 'message' || type === undefined) && typeof item.role === 'string') {
      const text = contentText(item.content);
      messages.push({ role: item.role, text });
      if (text !== '') texts.push(text);
    } else if (type === 'function_call_output' || type === 'custom_tool_call_output') {
      const output = outputText(item.output);
      functionOutputs.push({ callId: String(item.call_id ?? ''), output });
      if (output !== '') texts.push(output);
    } else if (type === 'function_call') {
      functionCalls.push({
        callId: String(item.call_id ?? ''),
        name: String(item.name ?? ''),
        arguments: typeof item.arguments === 'string' ? item.arguments : JSON.stringify(item.arguments ?? {}),
      });
    }
  }
  const userTexts = messages.filter((m) => m.role === 'user').map((m) => m.text);
  const toolNames = (Array.isArray(obj.tools) ? obj.tools : [])
    .map((t) => (isRecord(t) ? (typeof t.name === 'string' ? t.name : typeof t.type === 'string' ? t.type : '') : ''))
    .filter((n) => n !== '');
  return {
    body,
    model: typeof obj.model === 'string' ? obj.model : undefined,
    input,
    messages,
    userTexts,
    lastUserText: userTexts[userTexts.length - 1] ?? '',
    allText: texts.join('\n'),
    functionOutputs,
    functionCalls,
    toolNames,
    hasFunctionOutput: (callId) => functionOutputs.some((f) => f.callId === callId),
    functionOutput: (callId) => functionOutputs.find((f) => f.callId === callId)?.output,
  };
}

// ---------------------------------------------------------------------------------------------
// Server

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function decodeBody(raw: Buffer, encoding: string | undefined): Buffer {
  switch ((encoding ?? '').trim().toLowerCase()) {
    case '':
    case 'identity':
      return raw;
    case 'gzip':
      return gunzipSync(raw);
    case 'deflate':
      return inflateSync(raw);
    case 'br':
      return brotliDecompressSync(raw);
    default:
      throw new Error(`unsupported content-encoding ${encoding}`);
  }
}

/** Rough token estimate (4 chars per token), only for plausible usage numbers. */
function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** Splits `text` into at most `n` (≥1) non-empty consecutive pieces of about equal length. */
export function splitText(text: string, n: number): string[] {
  const count = Math.max(1, Math.min(Math.floor(n) || 1, text.length));
  if (count === 1) return [text];
  const size = Math.ceil(text.length / count);
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size));
  return parts;
}

/**
 * Starts the scripted endpoint. Resolves once listening; rejects if the port cannot be bound.
 */
export async function startScriptedModel(opts: ScriptedModelOptions = {}): Promise<ScriptedModel> {
  const host = opts.host ?? '127.0.0.1';
  const log = (opts.logger ?? silentLogger()).child({ component: 'scripted-model' });
  let script: ScriptFn = opts.script ?? demoScript;
  const requests: RecordedRequest[] = [];
  const scriptErrors: string[] = [];
  /** Responses still open (hanging, delayed or streaming). */
  const open = new Set<http.ServerResponse>();
  const timers = new Set<NodeJS.Timeout>();
  let seq = 0;
  let closed = false;

  /** Resolves true after `ms`, or false as soon as the response is closed. */
  const wait = (res: http.ServerResponse, ms: number): Promise<boolean> =>
    new Promise((resolve) => {
      if (res.destroyed || res.writableEnded) return resolve(false);
      const onClose = (): void => {
        clearTimeout(t);
        timers.delete(t);
        resolve(false);
      };
      const t = setTimeout(() => {
        timers.delete(t);
        res.off('close', onClose);
        resolve(!res.destroyed);
      }, ms);
      timers.add(t);
      res.once('close', onClose);
    });

  const sse = (res: http.ServerResponse, type: string, data: Record<string, unknown>): void => {
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  };

  async function answer(res: http.ServerResponse, req: ModelRequest, step: ScriptStep): Promise<void> {
    const n = ++seq;
    const responseId = `resp_scripted_${n}`;
    switch (step.kind) {
      case 'httpError': {
        const body = step.body ?? { error: { message: `scripted HTTP ${step.status}`, type: 'scripted_error' } };
        if (typeof body === 'string') {
          res.writeHead(step.status, { 'content-type': 'text/plain' });
          res.end(body);
        } else {
          sendJson(res, step.status, body);
        }
        return;
      }
      case 'hang':
        // Leave the response open; close() or a client abort ends it.
        return;
      default:
        break;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    sse(res, 'response.created', { response: { id: responseId, status: 'in_progress' } });
    if (step.delayMs && step.delayMs > 0 && !(await wait(res, step.delayMs))) return;
    if (res.destroyed) return;

    let outputText = '';
    if (step.kind === 'streamError') {
      sse(res, 'response.failed', {
        response: { id: responseId, status: 'failed', error: { code: step.code ?? 'server_error', message: step.message } },
      });
      res.end();
      return;
    }
    if (step.kind === 'reply') {
      const itemId = `msg_scripted_${n}`;
      outputText = step.text;
      sse(res, 'response.output_item.added', {
        output_index: 0,
        item: { type: 'message', role: 'assistant', id: itemId, content: [] },
      });
      const parts = splitText(step.text, step.chunks ?? 1);
      const gapMs = parts.length > 1 ? (step.streamMs ?? 0) / (parts.length - 1) : 0;
      for (const [i, delta] of parts.entries()) {
        if (i > 0 && gapMs > 0 && !(await wait(res, gapMs))) return;
        if (res.destroyed) return;
        sse(res, 'response.output_text.delta', { item_id: itemId, output_index: 0, content_index: 0, delta });
      }
      sse(res, 'response.output_item.done', {
        output_index: 0,
        item: { type: 'message', role: 'assistant', id: itemId, content: [{ type: 'output_text', text: step.text }] },
      });
    } else if (step.kind === 'customToolCall') {
      outputText = step.input;
      sse(res, 'response.output_item.done', {
        output_index: 0,
        item: { type: 'custom_tool_call', id: `ctc_scripted_${n}`, call_id: step.callId ?? `call_scripted_${n}`, name: step.name, input: step.input },
      });
    } else {
      const args = JSON.stringify(step.arguments);
      outputText = args;
      sse(res, 'response.output_item.done', {
        output_index: 0,
        item: {
          type: 'function_call',
          id: `fc_scripted_${n}`,
          call_id: step.callId ?? `call_scripted_${n}`,
          name: step.name,
          ...(step.namespace !== undefined ? { namespace: step.namespace } : {}),
          arguments: args,
        },
      });
    }
    const inputTokens = estimateTokens(req.allText);
    const outputTokens = estimateTokens(outputText);
    sse(res, 'response.completed', {
      response: {
        id: responseId,
        status: 'completed',
        usage: {
          input_tokens: inputTokens,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: outputTokens,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: inputTokens + outputTokens,
        },
      },
    });
    res.end();
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method !== 'POST' || path !== '/v1/responses') {
      log.debug({ method: req.method, path }, 'unknown route');
      req.resume();
      sendJson(res, 404, { error: { message: `no route for ${req.method} ${path}`, type: 'not_found' } });
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: unknown;
    try {
      const raw = decodeBody(Buffer.concat(chunks), req.headers['content-encoding']);
      body = JSON.parse(raw.toString('utf8'));
      if (!isRecord(body)) throw new Error('body is not a JSON object');
    } catch (err) {
      log.debug({ err }, 'malformed request body');
      sendJson(res, 400, { error: { message: `malformed JSON body: ${(err as Error).message}`, type: 'invalid_request_error' } });
      return;
    }
    const parsed = parseModelRequest(body);
    requests.push({ ...parsed, method: req.method, path, headers: req.headers, receivedAt: Date.now() });
    let step: ScriptStep;
    try {
      step = await script(parsed);
    } catch (err) {
      const line = `script failed on request #${requests.length - 1} (last user text ${JSON.stringify(parsed.lastUserText.slice(0, 200))}, ${parsed.functionOutputs.length} function output(s)): ${errorMessage(err)}`;
      scriptErrors.push(line);
      log.warn({ err }, line);
      sendJson(res, 400, { error: { message: `scripted model: ${line}`, type: 'invalid_request_error' } });
      return;
    }
    log.debug({ kind: step.kind, lastUserText: parsed.lastUserText }, 'scripted step');
    if (closed) {
      res.destroy();
      return;
    }
    await answer(res, parsed, step);
  }

  const server = http.createServer((req, res) => {
    open.add(res);
    res.once('close', () => open.delete(res));
    handle(req, res).catch((err: unknown) => {
      log.warn({ err }, 'request handler failed');
      if (!res.headersSent) sendJson(res, 500, { error: { message: String(err), type: 'server_error' } });
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}/v1`;
  log.info({ url }, 'scripted model listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    requests,
    scriptErrors,
    setScript(fn) {
      script = fn;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        closed = true;
        for (const t of timers) clearTimeout(t);
        timers.clear();
        for (const res of open) res.destroy();
        open.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
