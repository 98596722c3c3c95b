/**
 * The demo repertoire (src/demo/demo-script.ts): which step each trigger produces, on requests
 * shaped as codex 0.169 sends them. The end-to-end run through the CLI is in test/e2e/demo-cli.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  DEMO_COMMAND,
  DEMO_MARK,
  DEMO_SLOW_PLAN,
  DEMO_TRIGGERS,
  demoApprovalText,
  SLOW_DEFAULT_S,
  SLOW_MAX_S,
  demoCommandText,
  demoScript,
  demoSlowText,
  parseDemoTrigger,
} from '../../src/demo/demo-script.js';
import { parseModelRequest, type ScriptStep } from '../../src/demo/scripted-model.js';

const HEADER = '[Ada via local/general]\n';

/** A request whose last user message is `text` (with Switchboard's header), offering `tools`. */
function request(text: string, opts: { tools?: string[]; outputs?: Record<string, string> } = {}) {
  const input: unknown[] = [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: `${HEADER}${text}` }] }];
  for (const [callId, output] of Object.entries(opts.outputs ?? {})) {
    input.push({ type: 'function_call', call_id: callId, name: 'exec_command', arguments: '{}' });
    input.push({ type: 'function_call_output', call_id: callId, output });
  }
  return parseModelRequest({ model: 'mock-model', input, tools: (opts.tools ?? ['exec_command']).map((name) => ({ type: 'function', name })) });
}

async function step(text: string, opts?: Parameters<typeof request>[1]): Promise<ScriptStep> {
  return demoScript(request(text, opts));
}

function replyText(s: ScriptStep): string {
  if (s.kind !== 'reply') throw new Error(`expected a reply, got ${s.kind}`);
  return s.text;
}

describe('demo script', () => {
  it('parses triggers case-insensitively, with or without the colon, and caps slow', () => {
    expect(parseDemoTrigger('DEMO: Markdown')).toEqual({ kind: 'markdown' });
    expect(parseDemoTrigger('demo markdown')).toEqual({ kind: 'markdown' });
    expect(parseDemoTrigger('demo help')).toEqual({ kind: 'help' });
    expect(parseDemoTrigger('help')).toEqual({ kind: 'help' });
    expect(parseDemoTrigger('demo')).toEqual({ kind: 'help' });
    expect(parseDemoTrigger('demo: slow')).toEqual({ kind: 'slow', seconds: SLOW_DEFAULT_S });
    expect(parseDemoTrigger('demo: slow 20s')).toEqual({ kind: 'slow', seconds: 20 });
    expect(parseDemoTrigger('demo: slow 3 seconds')).toEqual({ kind: 'slow', seconds: 3 });
    expect(parseDemoTrigger('demo: slow 999s')).toEqual({ kind: 'slow', seconds: SLOW_MAX_S });
    expect(parseDemoTrigger('demo: slow 0')).toEqual({ kind: 'slow', seconds: 1 });
    expect(parseDemoTrigger('demo: run a command')).toEqual({ kind: 'command' });
    expect(parseDemoTrigger('demo: command')).toEqual({ kind: 'command' });
    expect(parseDemoTrigger('Demo: FAIL')).toEqual({ kind: 'fail' });
    expect(parseDemoTrigger('demo: dance')).toEqual({ kind: 'echo', text: 'demo: dance' });
    expect(parseDemoTrigger('  hello  ')).toEqual({ kind: 'echo', text: 'hello' });
  });

  it('answers anything else with an echo that lists every trigger, without the sender header', async () => {
    const text = replyText(await step('hello there'));
    expect(text.startsWith(`${DEMO_MARK} You said: "hello there".`)).toBe(true);
    expect(text).not.toContain('via local/general');
    for (const t of DEMO_TRIGGERS) expect(text).toContain(`\`${t.trigger}\``);
  });

  it('demo help lists every trigger', async () => {
    const text = replyText(await step('demo help'));
    expect(text.startsWith(DEMO_MARK)).toBe(true);
    for (const t of DEMO_TRIGGERS) expect(text).toContain(`- \`${t.trigger}\`: ${t.shows}`);
  });

  it('demo: slow publishes its plan first where codex offers update_plan, then streams the answer', async () => {
    const planned = await step('demo: slow 3s', { tools: ['exec_command', 'update_plan'] });
    expect(planned).toMatchObject({ kind: 'functionCall', name: 'update_plan', arguments: { plan: DEMO_SLOW_PLAN } });
    const callId = planned.kind === 'functionCall' ? planned.callId! : '';
    const answer = await step('demo: slow 3s', { tools: ['exec_command', 'update_plan'], outputs: { [callId]: 'Plan updated' } });
    expect(answer).toMatchObject({ kind: 'reply', text: demoSlowText(3), chunks: 5, streamMs: 3000 });
    expect(await step('demo: slow 3s'), 'no plan tool: straight to the answer').toMatchObject({ kind: 'reply', text: demoSlowText(3) });
  });

  it('demo: markdown has a heading, a list, a table, a link and a fenced code block', async () => {
    const text = replyText(await step('demo: markdown'));
    expect(text.startsWith(DEMO_MARK)).toBe(true);
    expect(text).toMatch(/^## /m);
    expect(text).toMatch(/^- /m);
    expect(text).toMatch(/^\| --- \| --- \| --- \|$/m);
    expect(text).toMatch(/\[[^\]]+\]\(https:\/\/[^)]+\)/);
    expect(text).toMatch(/^```ts\n[\s\S]+\n```$/m);
  });

  it('demo: slow N s streams its answer over N seconds', async () => {
    const s = await step('demo: slow 20s');
    expect(s).toMatchObject({ kind: 'reply', streamMs: 20_000, chunks: 22 });
    expect(replyText(s)).toContain('second 20 of 20');
  });

  it('demo: run a command calls codex exec_command, then summarises its output', async () => {
    const call = await step('demo: run a command');
    expect(call).toEqual({ kind: 'functionCall', name: 'exec_command', arguments: { cmd: DEMO_COMMAND, login: false }, callId: 'demo_command_1' });
    const output = 'Chunk ID: ab12\nWall time: 0.0512 seconds\nProcess exited with code 0\nOriginal token count: 5\nOutput:\nhello from Linux\n/work\n';
    const text = replyText(await step('demo: run a command', { outputs: { demo_command_1: output } }));
    expect(text).toBe(demoCommandText(output));
    expect(text).toContain('(exit code 0, 0.1 s)');
    expect(text).toContain('```\nhello from Linux\n/work\n```');
  });

  it('demo: run a command uses the older `shell` tool when that is what codex offers, and says so when there is none', async () => {
    expect(await step('demo: run a command', { tools: ['shell'] })).toMatchObject({
      kind: 'functionCall',
      name: 'shell',
      arguments: { command: ['bash', '-lc', DEMO_COMMAND] },
    });
    expect(replyText(await step('demo: run a command', { tools: ['web_search'] }))).toContain('offered no shell tool');
  });

  it('demo: fail fails the model stream with a marked message', async () => {
    const s = await step('demo: fail');
    expect(s.kind).toBe('streamError');
    expect(s.kind === 'streamError' && s.message.startsWith(DEMO_MARK)).toBe(true);
  });
});

describe('demo: approval', () => {
  it('asks codex to run a command outside the sandbox, then says whether it ran', async () => {
    expect(parseDemoTrigger('demo: approval')).toEqual({ kind: 'approval' });
    expect(demoApprovalText('Process exited with code 0\nOutput:\n')).toContain('Approved');
    expect(demoApprovalText('exec_command failed: Rejected("rejected by user")')).toMatch(/Not approved[\s\S]*rejected by user/);
  });
});
