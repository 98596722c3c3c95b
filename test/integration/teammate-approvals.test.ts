/**
 * A teammate's approvals reach the conversation of the dispatcher turn that gave it the task
 * (issue 11 §5), end to end with real codex: the dispatcher's model spawns a teammate through the
 * MCP tool; the teammate runs under `teammates.approvalPolicy: untrusted`, so its real app-server
 * asks `item/commandExecution/requestApproval` before `touch`; the prompt, labelled with the
 * teammate's name, appears in the web conversation the spawn came from; a press there decides, and
 * the teammate's completion then reports what codex did.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ModelRequest, ScriptStep } from '../../src/demo/scripted-model.js';
import { MCP_TOOL_NAMESPACE } from '../../src/mcp/registration.js';
import type { WebMessage } from '../../src/state/types.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { pollUntil } from '../support/e2e-cli.js';
import { waitFor } from '../support/fake-clock.js';
import { startTestService, stripHeader, type TestService } from '../support/service.js';

const TASK_HEADER = '[Switchboard task from dispatcher main]\n';

let env: CodexTestEnv;
let s: TestService | null = null;

/**
 * Chat `delegate <file>` → the dispatcher spawns teammate `toucher` with task `touch <file>`; the
 * teammate runs `touch` with codex's shell tool and answers `tool said: <output>`; the dispatcher's
 * trigger turn relays the completion's text.
 */
function script(req: ModelRequest): ScriptStep {
  const last = req.lastUserText;
  if (last.startsWith(TASK_HEADER)) {
    const file = last.slice(TASK_HEADER.length).replace(/^touch /, '');
    if (!req.hasFunctionOutput('touch'))
      return { kind: 'functionCall', name: 'exec_command', arguments: { cmd: `touch ${file}`, login: false }, callId: 'touch' };
    return { kind: 'reply', text: `tool said: ${req.functionOutput('touch') ?? '(nothing)'}` };
  }
  const delegate = /^delegate (\S+)$/.exec(stripHeader(last));
  if (delegate?.[1]) {
    if (!req.hasFunctionOutput('spawn')) {
      return {
        kind: 'functionCall',
        namespace: MCP_TOOL_NAMESPACE,
        name: 'teammate_spawn',
        arguments: { name: 'toucher', task: `touch ${delegate[1]}` },
        callId: 'spawn',
      };
    }
    return { kind: 'reply', text: 'spawned toucher' };
  }
  if (last.startsWith('[Switchboard] Teammate'))
    return { kind: 'reply', text: `relayed: ${req.allText.includes('Process exited with code 0') ? 'ran' : 'did not run'}` };
  return { kind: 'reply', text: 'echo' };
}

beforeEach(async () => {
  env = await codexTestEnv(script);
});

afterEach(async () => {
  await s?.stop();
  s = null;
  await env.cleanup();
});

async function startDelegating(file: string): Promise<{ prompt: WebMessage; cwd: string }> {
  s = await startTestService(env, { extra: { teammates: { approvalPolicy: 'untrusted', sandbox: 'workspace-write' } } });
  const posted = await s.post('general', `delegate ${file}`);
  expect(posted.status).toBe(202);
  const svc = s;
  const prompt = await pollUntil(
    async () => (await svc.messages('general')).find((m) => m.prompt && m.prompt.buttons.length > 0),
    'the teammate’s prompt',
    90_000,
  );
  const cwd = path.join(env.workDir, '.switchboard', 'teammates', 'toucher');
  return { prompt, cwd };
}

async function press(prompt: WebMessage, label: string): Promise<{ status: number; text: string }> {
  const button = prompt.prompt?.buttons.find((b) => b.label === label);
  if (!button || !s) throw new Error(`no ${label} button`);
  const res = await fetch(`${s.url}/api/actions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ actionId: button.actionId, conversation: 'general' }),
  });
  return { status: res.status, text: ((await res.json()) as { text: string }).text };
}

/** The dispatcher's answers in `general` (prompts excluded), once `n` are there. */
async function answers(n: number): Promise<WebMessage[]> {
  const svc = s!;
  return pollUntil(
    async () => {
      const got = (await svc.messages('general')).filter((m) => m.role !== 'user' && !m.prompt);
      return got.length >= n ? got : undefined;
    },
    `${n} answers in general`,
    90_000,
  );
}

// Two real app-servers (dispatcher, teammate) start in each test.
describe('teammate approvals in the delegating conversation (real codex)', { timeout: 180_000 }, () => {
  it('the prompt names the teammate, status lists it, Approve runs the command and the completion says so', async () => {
    const { prompt, cwd } = await startDelegating('approved.txt');
    expect(prompt.prompt?.title).toContain('(teammate toucher)');
    expect(prompt.text).toContain('touch approved.txt');
    expect(prompt.prompt?.buttons.map((b) => b.label)).toEqual(['Approve', 'Approve for this session', 'Decline', 'Cancel turn']);

    // Operators see it as the teammate's, under its dispatcher; the task remembers who asked.
    const [pending] = s!.service.status().approvals;
    expect(pending).toMatchObject({ dispatcherId: 'main', teammate: 'toucher', kind: 'command', channelId: 'local', conversation: 'general' });
    const task = s!.service.store.getTeammate('toucher')?.tasks[0];
    expect(task?.requester).toMatchObject({ id: 'web-user' });
    expect(existsSync(path.join(cwd, 'approved.txt'))).toBe(false);

    expect(await press(prompt, 'Approve')).toEqual({ status: 200, text: 'Approved.' });
    await waitFor(
      () => s!.service.store.listCompletions('main').some((c) => c.teammate === 'toucher' && c.state === 'delivered'),
      90_000,
      'the completion delivered',
    );
    const [completion] = s!.service.store.listCompletions('main');
    expect(completion?.status).toBe('completed');
    expect(completion?.text).toContain('Process exited with code 0');
    expect(existsSync(path.join(cwd, 'approved.txt'))).toBe(true);
    const replies = await answers(2);
    expect(replies.map((m) => m.text)).toEqual(['spawned toucher', 'relayed: ran']);

    const settled = (await s!.messages('general')).find((m) => m.id === prompt.id);
    expect(settled?.prompt?.buttons).toEqual([]);
    expect(settled?.prompt?.status).toMatch(/^✅ Approved by /);
    expect(s!.service.store.listApprovals().find((a) => a.teammate === 'toucher')).toMatchObject({ state: 'decided', decision: 'accept' });
  });

  it('Decline: the command does not run, and the completion carries codex’s refusal back to the conversation', async () => {
    const { prompt, cwd } = await startDelegating('declined.txt');
    expect(await press(prompt, 'Decline')).toEqual({ status: 200, text: 'Declined.' });
    const replies = await answers(2);
    expect(replies.map((m) => m.text)).toEqual(['spawned toucher', 'relayed: did not run']);
    expect(existsSync(path.join(cwd, 'declined.txt'))).toBe(false);
    expect(s!.service.store.listApprovals().find((a) => a.teammate === 'toucher')).toMatchObject({ state: 'decided', decision: 'decline' });
  });
});
