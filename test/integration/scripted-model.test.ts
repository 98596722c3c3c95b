/**
 * The scripted Responses endpoint: (a) over plain HTTP, (b) driven by a real `codex app-server`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { writeCodexHome } from '../../src/demo/codex-home.js';
import { demoReplyText } from '../../src/demo/demo-script.js';
import { startScriptedModel, type ScriptFn, type ScriptedModel } from '../../src/demo/scripted-model.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { cleanupTempDirs, makeTempDir } from '../support/temp.js';

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      let event = '';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      return { event, data: JSON.parse(data) as Record<string, unknown> };
    });
}

function userMessage(text: string): Record<string, unknown> {
  return { type: 'message', role: 'user', content: [{ type: 'input_text', text }] };
}

async function postResponses(model: ScriptedModel, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(`${model.url}/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  });
}

afterAll(async () => {
  await cleanupTempDirs();
});

describe('scripted model over HTTP', () => {
  let model: ScriptedModel | undefined;
  afterEach(async () => {
    await model?.close();
    model = undefined;
  });

  it('answers with the demo reply as SSE and records the request', async () => {
    model = await startScriptedModel();
    expect(model.url).toBe(`http://127.0.0.1:${model.port}/v1`);
    const body = {
      model: 'mock-model',
      stream: true,
      input: [
        { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'be nice' }] },
        userMessage('first'),
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'ok' }] },
        userMessage('hello there'),
      ],
      tools: [{ type: 'function', name: 'exec_command' }, { type: 'web_search' }],
    };
    const res = await postResponses(model, body);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const events = parseSse(await res.text());
    expect(events.map((e) => e.event)).toEqual([
      'response.created',
      'response.output_item.added',
      'response.output_text.delta',
      'response.output_item.done',
      'response.completed',
    ]);
    for (const e of events) expect(e.data.type).toBe(e.event);
    const done = events[3]!.data.item as { type: string; role: string; content: { type: string; text: string }[] };
    expect(done.type).toBe('message');
    expect(done.role).toBe('assistant');
    expect(done.content).toEqual([{ type: 'output_text', text: demoReplyText('hello there') }]);
    expect(done.content[0]!.text).toContain('[scripted demo model]');
    const completed = events[4]!.data.response as { id: string; usage: Record<string, unknown> };
    expect(completed.id).toBe((events[0]!.data.response as { id: string }).id);
    expect(completed.usage).toMatchObject({ input_tokens: expect.any(Number), output_tokens: expect.any(Number) });

    expect(model.requests).toHaveLength(1);
    const rec = model.requests[0]!;
    expect(rec.body).toEqual(body);
    expect(rec.path).toBe('/v1/responses');
    expect(rec.model).toBe('mock-model');
    expect(rec.lastUserText).toBe('hello there');
    expect(rec.userTexts).toEqual(['first', 'hello there']);
    expect(rec.allText).toBe('be nice\nfirst\nok\nhello there');
    expect(rec.toolNames).toEqual(['exec_command', 'web_search']);
  });

  it('emits function calls and exposes function outputs to the script', async () => {
    const seen: boolean[] = [];
    model = await startScriptedModel({
      script: (req) => {
        seen.push(req.hasFunctionOutput('call_1'));
        return req.hasFunctionOutput('call_1')
          ? { kind: 'reply', text: `got ${req.functionOutput('call_1')}` }
          : { kind: 'functionCall', name: 'lookup', arguments: { q: 'x' }, callId: 'call_1' };
      },
    });
    const first = parseSse(await (await postResponses(model, { input: [userMessage('go')] })).text());
    expect(first.map((e) => e.event)).toEqual(['response.created', 'response.output_item.done', 'response.completed']);
    expect(first[1]!.data.item).toMatchObject({ type: 'function_call', call_id: 'call_1', name: 'lookup', arguments: '{"q":"x"}' });

    const second = parseSse(
      await (
        await postResponses(model, {
          input: [
            userMessage('go'),
            { type: 'function_call', call_id: 'call_1', name: 'lookup', arguments: '{"q":"x"}' },
            { type: 'function_call_output', call_id: 'call_1', output: 'result-42' },
          ],
        })
      ).text(),
    );
    expect(second[3]!.data.item).toMatchObject({ content: [{ type: 'output_text', text: 'got result-42' }] });
    expect(seen).toEqual([false, true]);
    expect(model.requests[1]!.functionCalls).toEqual([{ callId: 'call_1', name: 'lookup', arguments: '{"q":"x"}' }]);
    expect(model.requests[1]!.allText).toContain('result-42');
  });

  it('emits freeform (custom) tool calls, whose custom_tool_call_output the script then sees', async () => {
    const patch = '*** Begin Patch\n*** Add File: a.txt\n+a\n*** End Patch\n';
    model = await startScriptedModel({
      script: (req) =>
        req.hasFunctionOutput('call_p')
          ? { kind: 'reply', text: `got ${req.functionOutput('call_p')}` }
          : { kind: 'customToolCall', name: 'apply_patch', input: patch, callId: 'call_p' },
    });
    const first = parseSse(await (await postResponses(model, { input: [userMessage('go')] })).text());
    expect(first.map((e) => e.event)).toEqual(['response.created', 'response.output_item.done', 'response.completed']);
    expect(first[1]!.data.item).toMatchObject({ type: 'custom_tool_call', call_id: 'call_p', name: 'apply_patch', input: patch });
    const second = parseSse(
      await (
        await postResponses(model, {
          input: [
            userMessage('go'),
            { type: 'custom_tool_call', call_id: 'call_p', name: 'apply_patch', input: patch },
            { type: 'custom_tool_call_output', call_id: 'call_p', output: 'Success.' },
          ],
        })
      ).text(),
    );
    expect(second[3]!.data.item).toMatchObject({ content: [{ type: 'output_text', text: 'got Success.' }] });
  });

  it('404s unknown routes and 400s malformed bodies without recording them', async () => {
    model = await startScriptedModel();
    const get = await fetch(`${model.url}/models`);
    expect(get.status).toBe(404);
    expect(await get.json()).toMatchObject({ error: { message: expect.stringContaining('/v1/models') } });
    const other = await fetch(`http://127.0.0.1:${model.port}/responses`, { method: 'POST', body: '{}' });
    expect(other.status).toBe(404);
    const bad = await postResponses(model, '{not json');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    const notObject = await postResponses(model, '[1,2]');
    expect(notObject.status).toBe(400);
    expect(model.requests).toHaveLength(0);
  });

  it('answers httpError steps and turns script exceptions into a 400 that names the request', async () => {
    model = await startScriptedModel({ script: () => ({ kind: 'httpError', status: 429, body: { error: { message: 'slow down' } } }) });
    const res = await postResponses(model, { input: [userMessage('x')] });
    expect(res.status).toBe(429);
    expect(await res.json()).toEqual({ error: { message: 'slow down' } });

    model.setScript(() => ({ kind: 'httpError', status: 503 }));
    const res2 = await postResponses(model, { input: [] });
    expect(res2.status).toBe(503);
    expect(await res2.json()).toMatchObject({ error: { message: 'scripted HTTP 503' } });

    model.setScript(() => {
      throw new Error('oops');
    });
    const res3 = await postResponses(model, { input: [userMessage('what now')] });
    expect(res3.status).toBe(400);
    const line = 'script failed on request #2 (last user text "what now", 0 function output(s)): oops';
    expect(await res3.json()).toMatchObject({ error: { message: `scripted model: ${line}`, type: 'invalid_request_error' } });
    expect(model.scriptErrors).toEqual([line]);
    expect(model.requests).toHaveLength(3);
  });

  it('streams response.failed for streamError steps', async () => {
    model = await startScriptedModel({ script: () => ({ kind: 'streamError', message: 'kaput', code: 'context_length_exceeded' }) });
    const events = parseSse(await (await postResponses(model, { input: [] })).text());
    expect(events.map((e) => e.event)).toEqual(['response.created', 'response.failed']);
    expect(events[1]!.data.response).toMatchObject({
      status: 'failed',
      error: { code: 'context_length_exceeded', message: 'kaput' },
    });
  });

  it('delays replies by delayMs', async () => {
    model = await startScriptedModel({ script: () => ({ kind: 'reply', text: 'late', delayMs: 150 }) });
    const t0 = Date.now();
    const events = parseSse(await (await postResponses(model, { input: [] })).text());
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(events.at(-1)!.event).toBe('response.completed');
  });

  it('streams a chunked reply as several deltas over streamMs; done carries the whole text', async () => {
    const text = 'abcdefghij'.repeat(3);
    model = await startScriptedModel({ script: () => ({ kind: 'reply', text, chunks: 3, streamMs: 100 }) });
    const t0 = Date.now();
    const events = parseSse(await (await postResponses(model, { input: [] })).text());
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
    const deltas = events.filter((e) => e.event === 'response.output_text.delta').map((e) => e.data.delta);
    expect(deltas).toHaveLength(3);
    expect(deltas.join('')).toBe(text);
    const done = events.find((e) => e.event === 'response.output_item.done')!.data.item as { content: { text: string }[] };
    expect(done.content[0]!.text).toBe(text);
    expect(events.at(-1)!.event).toBe('response.completed');
  });

  it('hang never answers until close() ends it', async () => {
    model = await startScriptedModel({ script: () => ({ kind: 'hang' }) });
    const pending = postResponses(model, { input: [userMessage('wait')] }).then(
      () => 'answered',
      () => 'failed',
    );
    const raced = await Promise.race([pending, new Promise((r) => setTimeout(() => r('still hanging'), 300))]);
    expect(raced).toBe('still hanging');
    expect(model.requests).toHaveLength(1);
    const t0 = Date.now();
    await model.close();
    expect(await pending).toBe('failed');
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('writeCodexHome writes the offline config.toml', async () => {
    const dir = path.join(makeTempDir('sb-home-test-'), 'nested', 'home');
    await writeCodexHome(dir, 'http://127.0.0.1:1234/v1', '[features]\nfoo = true');
    const toml = await readFile(path.join(dir, 'config.toml'), 'utf8');
    expect(toml).toContain('model = "mock-model"');
    expect(toml).toContain('model_provider = "mock"');
    expect(toml).toContain('[model_providers.mock]');
    expect(toml).toContain('base_url = "http://127.0.0.1:1234/v1"');
    expect(toml).toContain('wire_api = "responses"');
    expect(toml).toContain('request_max_retries = 0');
    expect(toml).toContain('stream_max_retries = 0');
    expect(toml).toContain('approval_policy = "never"');
    expect(toml).toContain('sandbox_mode = "read-only"');
    expect(toml.trimEnd().endsWith('[features]\nfoo = true')).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------

interface Notification {
  method: string;
  params: Record<string, any>;
}

/** Minimal JSON-RPC (no "jsonrpc" field) client over the app-server websocket. */
class RpcClient {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve(v: any): void; reject(e: Error): void }>();
  readonly notifications: Notification[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as Record<string, any>;
      if (msg.id !== undefined && msg.method === undefined) {
        const p = this.pending.get(msg.id as number);
        this.pending.delete(msg.id as number);
        if (msg.error) p?.reject(new Error(JSON.stringify(msg.error)));
        else p?.resolve(msg.result);
      } else if (msg.id !== undefined) {
        // Server→client request (approvals etc.): decline.
        ws.send(JSON.stringify({ id: msg.id, error: { code: -32000, message: 'declined by test' } }));
      } else {
        this.notifications.push({ method: msg.method as string, params: (msg.params ?? {}) as Record<string, any> });
        for (const w of [...this.waiters]) w();
      }
    });
  }

  request(method: string, params: unknown): Promise<any> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  notify(method: string, params?: unknown): void {
    this.ws.send(JSON.stringify(params === undefined ? { method } : { method, params }));
  }

  /** Resolves with the first notification (past or future) matching `pred`. */
  waitFor(pred: (n: Notification) => boolean, timeoutMs = 20_000): Promise<Notification> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = this.notifications.find(pred);
        if (!hit) return false;
        this.waiters.delete(waiter);
        clearTimeout(timer);
        resolve(hit);
        return true;
      };
      const waiter = (): void => void check();
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out waiting for notification; got ${this.notifications.map((n) => n.method).join(', ')}`));
      }, timeoutMs);
      this.waiters.add(waiter);
      check();
    });
  }
}

const TOOL_CALL_ID = 'call_switchboard_missing_tool';

/** Script for the codex tests, keyed on the user's text. */
const codexScript: ScriptFn = (req) => {
  switch (req.lastUserText) {
    case 'ping':
      return { kind: 'reply', text: 'pong from script' };
    case 'use a tool':
      return req.hasFunctionOutput(TOOL_CALL_ID)
        ? { kind: 'reply', text: `tool output was: ${req.functionOutput(TOOL_CALL_ID)}` }
        : { kind: 'functionCall', name: 'switchboard_missing_tool', arguments: { x: 1 }, callId: TOOL_CALL_ID };
    case 'fail please':
      return { kind: 'streamError', message: 'scripted stream failure' };
    case 'hang please':
      return { kind: 'hang' };
    default:
      return { kind: 'reply', text: `unexpected: ${req.lastUserText}` };
  }
};

describe('scripted model driving a real codex app-server', () => {
  let env: CodexTestEnv;
  let child: ChildProcess;
  let ws: WebSocket;
  let rpc: RpcClient;
  let stderr = '';

  beforeAll(async () => {
    env = await codexTestEnv(codexScript);
    const sock = path.join(env.stateDir, 's.sock');
    child = spawn(env.codexBin, ['app-server', '--listen', `unix://${sock}`], {
      env: { ...process.env, CODEX_HOME: env.codexHome, RUST_LOG: 'warn' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const deadline = Date.now() + 20_000;
    while (!existsSync(sock)) {
      if (child.exitCode !== null) throw new Error(`codex exited early (${child.exitCode}): ${stderr}`);
      if (Date.now() > deadline) throw new Error(`codex socket never appeared: ${stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    ws = new WebSocket(`ws+unix://${sock}`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    rpc = new RpcClient(ws);
    const init = await rpc.request('initialize', {
      clientInfo: { name: 'switchboard-test', version: '0.0.0' },
      capabilities: { experimentalApi: true },
    });
    expect(init.codexHome).toBe(env.codexHome);
    rpc.notify('initialized');
  });

  afterAll(async () => {
    ws?.close();
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    }
    await env?.cleanup();
  });

  async function startTurn(text: string): Promise<{ threadId: string; turnId: string }> {
    const started = await rpc.request('thread/start', { cwd: env.workDir });
    const threadId = started.thread.id as string;
    const turn = await rpc.request('turn/start', { threadId, input: [{ type: 'text', text, text_elements: [] }] });
    return { threadId, turnId: turn.turn.id as string };
  }

  const completedFor = (turnId: string) => (n: Notification) => n.method === 'turn/completed' && n.params.turn?.id === turnId;

  it('completes a turn with the scripted reply', async () => {
    const before = env.model.requests.length;
    const { turnId } = await startTurn('ping');
    const done = await rpc.waitFor(completedFor(turnId));
    expect(done.params.turn.status).toBe('completed');
    const agentMessages = rpc.notifications.filter((n) => n.method === 'item/completed' && n.params.turnId === turnId && n.params.item.type === 'agentMessage');
    expect(agentMessages.map((n) => n.params.item.text)).toEqual(['pong from script']);
    // The output_text delta is forwarded as item/agentMessage/delta.
    expect(rpc.notifications.some((n) => n.method === 'item/agentMessage/delta' && n.params.turnId === turnId && n.params.delta === 'pong from script')).toBe(
      true,
    );
    const reqs = env.model.requests.slice(before);
    expect(reqs).toHaveLength(1);
    expect(reqs[0]!.model).toBe('mock-model');
    // codex sends its own instructions/context as developer and user messages before the user's text.
    expect(reqs[0]!.userTexts.some((t) => t.includes('<environment_context>'))).toBe(true);
    expect(reqs[0]!.lastUserText).toBe('ping');
  });

  it('survives a call to a tool codex does not have, then completes with the follow-up reply', async () => {
    const before = env.model.requests.length;
    const { turnId } = await startTurn('use a tool');
    const done = await rpc.waitFor(completedFor(turnId));
    expect(done.params.turn.status).toBe('completed');
    const reqs = env.model.requests.slice(before);
    expect(reqs).toHaveLength(2);
    // Observed with codex 0.169.0: codex answers an unknown tool with a function_call_output whose text
    // is "unsupported call: <name>" (and logs an ERROR line on stderr); it emits no item notification
    // for the failed call and simply samples the model again.
    expect(reqs[1]!.functionCalls).toEqual([{ callId: TOOL_CALL_ID, name: 'switchboard_missing_tool', arguments: '{"x":1}' }]);
    expect(reqs[1]!.functionOutput(TOOL_CALL_ID)).toBe('unsupported call: switchboard_missing_tool');
    const texts = rpc.notifications
      .filter((n) => n.method === 'item/completed' && n.params.turnId === turnId && n.params.item.type === 'agentMessage')
      .map((n) => n.params.item.text);
    expect(texts).toEqual(['tool output was: unsupported call: switchboard_missing_tool']);
  });

  it('turns a streamError step into an error notification and a failed turn', async () => {
    const { threadId, turnId } = await startTurn('fail please');
    const done = await rpc.waitFor(completedFor(turnId));
    // Observed: `error` {error:{message:"stream disconnected before completion: <message>",
    // codexErrorInfo:"other"}, willRetry:false}, thread status systemError, then turn/completed failed.
    expect(done.params.turn.status).toBe('failed');
    expect(done.params.turn.error.message).toContain('scripted stream failure');
    const err = rpc.notifications.find((n) => n.method === 'error' && n.params.turnId === turnId);
    expect(err?.params).toMatchObject({ threadId, willRetry: false, error: { message: expect.stringContaining('scripted stream failure') } });
  });

  it('a hanging model request is aborted by turn/interrupt', async () => {
    const before = env.model.requests.length;
    const { threadId, turnId } = await startTurn('hang please');
    const deadline = Date.now() + 10_000;
    while (env.model.requests.length === before) {
      if (Date.now() > deadline) throw new Error('codex never called the model');
      await new Promise((r) => setTimeout(r, 20));
    }
    await rpc.request('turn/interrupt', { threadId, turnId });
    const done = await rpc.waitFor(completedFor(turnId));
    expect(done.params.turn.status).toBe('interrupted');
  });
});
