/**
 * The request types beyond command approval, driven from the real codex app-server (0.171) in the
 * local web chat, answered with the prompt's buttons (`POST /api/actions`) or a reply:
 * - `item/fileChange/requestApproval`: the scripted model calls codex's freeform `apply_patch`
 *   tool (offered once the model catalog says so: ../support/model-catalog.ts) on files outside
 *   the writable roots under `on-request`;
 * - `item/permissions/requestApproval`: the model calls `request_permissions` (offered with
 *   `features.request_permissions_tool`, under development in 0.171), then writes where it asked;
 * - `mcpServer/elicitation/request`: a test MCP server's tool (../support/elicit-mcp.ts) asks for
 *   input with `elicitation/create`; codex itself first asks to approve the tool call the same way
 *   unless the server's tools are pre-approved.
 * Writable roots: the workspace only (`sandbox_workspace_write.exclude_slash_tmp` and
 * `exclude_tmpdir_env_var`), so a temp dir of the test is outside them.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Service } from '../../src/service.js';
import type { WebMessage } from '../../src/state/types.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { pollUntil } from '../support/e2e-cli.js';
import { type ElicitMcpServer, startElicitMcpServer } from '../support/elicit-mcp.js';
import { mockModelCatalog } from '../support/model-catalog.js';
import { mainDispatcher, startWithTestLog, testCodexConfig, waitForCount } from '../support/service.js';
import { cleanupTempDirs, makeTempDir } from '../support/temp.js';

let env: CodexTestEnv;
let service: Service | null = null;
let mcp: ElicitMcpServer | null = null;
let n = 0;
/** A directory outside the sandbox's writable roots, fresh per test. */
let outside: string;

beforeAll(async () => {
  env = await codexTestEnv();
});
afterAll(async () => {
  await env.cleanup();
  await cleanupTempDirs();
});
afterEach(async () => {
  await service?.stop();
  service = null;
  await mcp?.close();
  mcp = null;
});

const q = JSON.stringify;

interface Chat {
  post(text: string): Promise<void>;
  messages(): Promise<WebMessage[]>;
  /** Presses the button labelled `label` of `prompt`; resolves with the status and the text the presser is told. */
  press(prompt: WebMessage, label: string): Promise<{ status: number; text: string }>;
  /** The first prompt (not yet settled) that is not one of `seen`. */
  nextPrompt(seen?: readonly string[]): Promise<WebMessage>;
  /** The turn's answers (messages with an outcome), at least `count`. */
  answers(count?: number): Promise<WebMessage[]>;
}

async function start(overrides: Record<string, string> = {}): Promise<Chat> {
  outside = makeTempDir('sb-outside-');
  const config = parseConfig(
    {
      stateDir: env.stateDir,
      codex: {
        ...testCodexConfig(env, {
          overrides: {
            'sandbox_workspace_write.exclude_slash_tmp': 'true',
            'sandbox_workspace_write.exclude_tmpdir_env_var': 'true',
            ...overrides,
          },
        }),
        sandbox: 'workspace-write',
        approvalPolicy: 'on-request',
      },
      channels: [{ id: 'local', type: 'web', listen: '127.0.0.1:0' }],
      dispatchers: [mainDispatcher(env, 'local')],
    },
    { file: '<test>' },
  );
  service = await startWithTestLog(config);
  const url = (service.channels.get('local') as unknown as { url: string }).url;
  const conv = `k${++n}`;
  const messages = async (): Promise<WebMessage[]> => {
    const res = await fetch(`${url}/api/conversations/${conv}/messages`);
    return ((await res.json()) as { messages: WebMessage[] }).messages;
  };
  return {
    messages,
    async post(text) {
      const res = await fetch(`${url}/api/conversations/${conv}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
      });
      expect([200, 202]).toContain(res.status);
    },
    async press(prompt, label) {
      const button = prompt.prompt?.buttons.find((b) => b.label === label);
      if (!button) throw new Error(`no button ${label} on ${JSON.stringify(prompt.prompt)}`);
      const res = await fetch(`${url}/api/actions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ actionId: button.actionId, conversation: conv }),
      });
      return { status: res.status, text: ((await res.json()) as { text: string }).text };
    },
    nextPrompt: (seen = []) =>
      pollUntil(async () => (await messages()).find((m) => m.prompt && m.prompt.buttons.length > 0 && !seen.includes(m.id)), 'a prompt with buttons', 30_000),
    answers: (count = 1) =>
      waitForCount(
        async () => (await messages()).filter((m) => m.outcome !== undefined),
        count,
        30_000,
        (got) => `no answer: ${JSON.stringify(got)}`,
      ),
  };
}

const labels = (m: WebMessage): string[] => m.prompt?.buttons.map((b) => b.label) ?? [];

describe('file changes (apply_patch outside the writable roots, on-request)', () => {
  /** The model sends `patch` (OUT = the outside dir) to codex's `apply_patch`, then reports what the tool said. */
  function patchScript(patch: string): string {
    const callId = `patch-${++n}`;
    env.model.setScript((req) => {
      if (!req.toolNames.includes('apply_patch')) throw new Error(`apply_patch not offered: ${req.toolNames.join(', ')}`);
      if (!req.hasFunctionOutput(callId)) return { kind: 'customToolCall', name: 'apply_patch', input: patch.replaceAll('OUT', outside), callId };
      return { kind: 'reply', text: `patch said: ${req.functionOutput(callId) ?? '(nothing)'}` };
    });
    return callId;
  }

  const PATCH = [
    '*** Begin Patch',
    '*** Add File: OUT/new.txt',
    '+one',
    '+two',
    '*** Update File: OUT/old.txt',
    '@@',
    ' a',
    '-b',
    '+B',
    '+B2',
    ' c',
    '*** End Patch',
    '',
  ].join('\n');

  it('the prompt lists each file with its +/− counts; Approve writes them and the answer says so', async () => {
    patchScript(PATCH);
    const chat = await start(mockModelCatalog(env.stateDir));
    await writeFile(path.join(outside, 'old.txt'), 'a\nb\nc\n');
    await chat.post('please edit the files');
    const prompt = await chat.nextPrompt();
    expect(prompt.prompt?.title).toBe('🔐 Approval needed: change files');
    expect(labels(prompt)).toEqual(['Approve', 'Approve for this session', 'Decline', 'Cancel turn']);
    expect(prompt.text).toContain(`\`${path.join(outside, 'new.txt')}\` (new file, +2 −0)`);
    expect(prompt.text).toContain(`\`${path.join(outside, 'old.txt')}\` (changed, +2 −1)`);
    expect(await chat.press(prompt, 'Approve')).toEqual({ status: 200, text: 'Approved.' });
    const [answer] = await chat.answers();
    expect(answer?.text).toMatch(/patch said: .*Success\. Updated the following files/s);
    expect(await readFile(path.join(outside, 'new.txt'), 'utf8')).toBe('one\ntwo\n');
    expect(await readFile(path.join(outside, 'old.txt'), 'utf8')).toBe('a\nB\nB2\nc\n');
    const settled = (await chat.messages()).find((m) => m.id === prompt.id);
    expect(settled?.prompt?.status).toMatch(/^✅ Approved by web-user/);
    expect(service!.store.listApprovals().at(-1)).toMatchObject({ kind: 'fileChange', state: 'decided', decision: 'accept' });
  });

  it('Decline: nothing is written and the model is told', async () => {
    patchScript(PATCH);
    const chat = await start(mockModelCatalog(env.stateDir));
    await writeFile(path.join(outside, 'old.txt'), 'a\nb\nc\n');
    await chat.post('please edit the files');
    const prompt = await chat.nextPrompt();
    expect(await chat.press(prompt, 'Decline')).toEqual({ status: 200, text: 'Declined.' });
    const [answer] = await chat.answers();
    expect(answer?.text).toMatch(/patch said: .*(rejected|declined)/is);
    await expect(stat(path.join(outside, 'new.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readFile(path.join(outside, 'old.txt'), 'utf8')).toBe('a\nb\nc\n');
    expect(service!.store.listApprovals().at(-1)).toMatchObject({ kind: 'fileChange', decision: 'decline' });
  });
});

describe('permissions (request_permissions, then a command that needs them)', () => {
  const PERMISSIONS = { 'features.request_permissions_tool': 'true' };

  /** The model asks to write in the outside dir, then touches a file there, and reports both tool outputs. */
  function permissionScript(): void {
    const ask = `perm-${++n}`;
    const touch = `touch-${n}`;
    env.model.setScript((req) => {
      if (!req.hasFunctionOutput(ask)) {
        return {
          kind: 'functionCall',
          name: 'request_permissions',
          arguments: { permissions: { file_system: { write: [outside] } }, reason: 'write the report next to the others' },
          callId: ask,
        };
      }
      if (!req.hasFunctionOutput(touch))
        return { kind: 'functionCall', name: 'exec_command', arguments: { cmd: `touch ${outside}/report.txt`, login: false }, callId: touch };
      return { kind: 'reply', text: `granted: ${req.functionOutput(ask) ?? '(nothing)'}\ntouch: ${req.functionOutput(touch) ?? '(nothing)'}` };
    });
  }

  it('the prompt shows what is asked; Grant for this turn → the command writes there', async () => {
    permissionScript();
    const chat = await start(PERMISSIONS);
    await chat.post('write the report');
    const prompt = await chat.nextPrompt();
    expect(prompt.prompt?.title).toBe('🔐 Approval needed: more permissions');
    expect(labels(prompt)).toEqual(['Grant for this turn', 'Grant for this session', 'Decline']);
    // codex lists the path both as a legacy `write` entry and as a rule: named once.
    expect(prompt.text.split(outside)).toHaveLength(2);
    expect(prompt.text).toContain(`- write: \`${outside}\``);
    expect(prompt.text).toContain('**Why:** write the report next to the others');
    expect(await chat.press(prompt, 'Grant for this turn')).toEqual({ status: 200, text: 'Granted for this turn.' });
    const [answer] = await chat.answers();
    expect(answer?.text).toContain('Process exited with code 0');
    await stat(path.join(outside, 'report.txt'));
    expect(service!.store.listApprovals().at(-1)).toMatchObject({ kind: 'permissions', decision: 'grantTurn' });
  });

  it('Decline: nothing is granted, the sandbox refuses the write', async () => {
    permissionScript();
    const chat = await start(PERMISSIONS);
    await chat.post('write the report');
    const prompt = await chat.nextPrompt();
    expect(await chat.press(prompt, 'Decline')).toEqual({ status: 200, text: 'Declined.' });
    // On-request: codex may ask to run the refused command outside the sandbox; decline that too.
    const answered = await pollUntil(
      async () => {
        const ms = await chat.messages();
        const more = ms.find((m) => m.id !== prompt.id && m.prompt && m.prompt.buttons.length > 0);
        if (more) await chat.press(more, 'Decline');
        return ms.find((m) => m.outcome !== undefined);
      },
      'the answer',
      30_000,
    );
    expect(answered.text).toMatch(/touch: .*(Read-only file system|Permission denied|rejected)/s);
    await expect(stat(path.join(outside, 'report.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('MCP elicitation (a test MCP server asks through codex)', () => {
  /** The model calls `tool` of the `asker` server, then reports what the tool answered. */
  function toolScript(tool: string): string {
    const callId = `mcp-${++n}`;
    env.model.setScript((req) => {
      if (!req.toolNames.includes('mcp__asker')) throw new Error(`mcp__asker not offered: ${req.toolNames.join(', ')}`);
      if (!req.hasFunctionOutput(callId)) return { kind: 'functionCall', namespace: 'mcp__asker', name: tool, arguments: {}, callId };
      return { kind: 'reply', text: `tool said: ${req.functionOutput(callId) ?? '(nothing)'}` };
    });
    return callId;
  }

  async function startWithAsker(extra: Record<string, string> = {}): Promise<Chat> {
    mcp = await startElicitMcpServer();
    return start({ 'mcp_servers.asker.url': q(mcp.url), 'mcp_servers.asker.startup_timeout_sec': '30', ...extra });
  }

  it('codex asks to approve the tool call, then the tool’s enum field comes as buttons; a press answers and the result reaches the model', async () => {
    const callId = toolScript('choose_colour');
    const chat = await startWithAsker();
    await chat.post('pick a badge colour');
    const approval = await chat.nextPrompt();
    expect(approval.prompt?.title).toBe('🔐 Approval needed: use an MCP tool');
    expect(approval.text).toContain('Allow the asker MCP server to run tool "choose_colour"?');
    expect(labels(approval)).toEqual(['Approve', 'Approve for this session', 'Decline', 'Cancel']);
    expect(await chat.press(approval, 'Approve')).toEqual({ status: 200, text: 'Approved.' });

    const form = await chat.nextPrompt([approval.id]);
    expect(form.prompt?.title).toBe('❓ A tool asks');
    expect(form.text).toContain('Which colour should the build badge be?');
    expect(labels(form)).toEqual(['red', 'green', 'blue', 'Decline', 'Cancel']);
    expect(await chat.press(form, 'green')).toEqual({ status: 200, text: 'Answered “green”.' });

    const [answer] = await chat.answers();
    expect(answer?.text).toContain('elicitation accept {"colour":"green"}');
    expect(mcp!.results).toEqual([{ action: 'accept', content: { colour: 'green' } }]);
    // What codex advertised to the MCP server, and the tool result in the model's next request.
    expect(mcp!.clientCapabilities[0]?.elicitation).toMatchObject({ form: {} });
    const last = env.model.requests.at(-1);
    expect(last?.functionOutput(callId)).toContain('elicitation accept {"colour":"green"}');
  });

  it('Approve for this session: codex does not ask again for the next call of the tool', async () => {
    const first = `mcp-${++n}`;
    const second = `mcp-${++n}`;
    env.model.setScript((req) => {
      if (!req.hasFunctionOutput(first)) return { kind: 'functionCall', namespace: 'mcp__asker', name: 'choose_colour', arguments: {}, callId: first };
      if (!req.hasFunctionOutput(second)) return { kind: 'functionCall', namespace: 'mcp__asker', name: 'choose_colour', arguments: {}, callId: second };
      return { kind: 'reply', text: `first: ${req.functionOutput(first) ?? '(nothing)'}\nsecond: ${req.functionOutput(second) ?? '(nothing)'}` };
    });
    const chat = await startWithAsker();
    await chat.post('pick two colours');
    const approval = await chat.nextPrompt();
    expect(await chat.press(approval, 'Approve for this session')).toEqual({ status: 200, text: 'Approved for this session.' });
    const form1 = await chat.nextPrompt([approval.id]);
    await chat.press(form1, 'red');
    const form2 = await chat.nextPrompt([approval.id, form1.id]);
    // The second prompt is the tool's own question, not another approval.
    expect(form2.text).toContain('Which colour should the build badge be?');
    await chat.press(form2, 'blue');
    const [answer] = await chat.answers();
    expect(answer?.text).toContain('first: Wall time');
    expect(answer?.text).toMatch(/second: .*elicitation accept \{"colour":"blue"\}/s);
    expect(service!.store.listApprovals().map((a) => a.decision)).toEqual(expect.arrayContaining(['acceptForSession', 'red', 'blue']));
    expect((await chat.messages()).filter((m) => m.prompt?.title === '🔐 Approval needed: use an MCP tool')).toHaveLength(1);
  });

  it('a string field: a reply in the conversation is the answer (tools pre-approved)', async () => {
    toolScript('name_release');
    const chat = await startWithAsker({ 'mcp_servers.asker.default_tools_approval_mode': q('approve') });
    await chat.post('name the release');
    const form = await chat.nextPrompt();
    expect(form.text).toContain('What should the release be called?');
    expect(form.text).toContain('Reply in this thread with the release name');
    await chat.post('Nova 2');
    const [answer] = await chat.answers();
    expect(answer?.text).toContain('elicitation accept {"name":"Nova 2"}');
    expect(mcp!.results).toEqual([{ action: 'accept', content: { name: 'Nova 2' } }]);
    await service!.dispatchers.get('main')!.whenIdle();
    expect((await chat.messages()).filter((m) => m.outcome !== undefined)).toHaveLength(1);
  });
});
