/**
 * Approvals end to end on the local web chat: the real codex app-server under approval policy
 * `untrusted` asks before running `touch` (a real `item/commandExecution/requestApproval`), the
 * broker posts the prompt, and the answer comes from an operator over the admin socket, from
 * the timeout, or from a stop. The scripted model echoes the tool output, so the chat answer shows
 * what codex did with the decision.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { adminRequest } from '../../src/admin/client.js';
import type { PendingApproval } from '../../src/admin/port.js';
import { parseConfig } from '../../src/config/load.js';
import type { Service } from '../../src/service.js';
import type { WebMessage } from '../../src/state/types.js';
import { askScript } from '../support/approval-scripts.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { pollUntil } from '../support/e2e-cli.js';
import { mainDispatcher, startWithTestLog, testCodexConfig, waitForCount } from '../support/service.js';

let env: CodexTestEnv;
let service: Service | null = null;
let n = 0;

beforeAll(async () => {
  env = await codexTestEnv();
});
afterAll(async () => {
  await env.cleanup();
});
afterEach(async () => {
  await service?.stop();
  service = null;
});

/** The model runs `touch <file>` with codex's shell tool, then reports what the tool said. */
function touchScript(file: string): void {
  const callId = `touch-${++n}`;
  env.model.setScript((req) => {
    if (!req.hasFunctionOutput(callId)) return { kind: 'functionCall', name: 'exec_command', arguments: { cmd: `touch ${file}`, login: false }, callId };
    return { kind: 'reply', text: `tool said: ${req.functionOutput(callId) ?? '(nothing)'}` };
  });
}

async function start(
  approvals: Record<string, unknown> = {},
): Promise<{ url: string; conversation: string; post(text: string, id?: string): Promise<number>; messages(): Promise<WebMessage[]> }> {
  const config = parseConfig(
    {
      stateDir: env.stateDir,
      codex: { ...testCodexConfig(env), sandbox: 'workspace-write', approvalPolicy: 'untrusted' },
      approvals,
      channels: [{ id: 'local', type: 'web', listen: '127.0.0.1:0' }],
      dispatchers: [mainDispatcher(env, 'local')],
    },
    { file: '<test>' },
  );
  service = await startWithTestLog(config);
  const url = (service.channels.get('local') as unknown as { url: string }).url;
  const conv = `c${n}`;
  return {
    url,
    conversation: conv,
    async post(text, id) {
      const res = await fetch(`${url}/api/conversations/${conv}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(id ? { text, id } : { text }),
      });
      expect([200, 202]).toContain(res.status);
      return res.status;
    },
    async messages() {
      const res = await fetch(`${url}/api/conversations/${conv}/messages`);
      return ((await res.json()) as { messages: WebMessage[] }).messages;
    },
  };
}

async function pendingApprovals(): Promise<PendingApproval[]> {
  if (!service) throw new Error('no service');
  return (await adminRequest<{ approvals: PendingApproval[] }>(service.adminSocket, 'GET', '/approvals')).approvals;
}

const answers = async (chat: { messages(): Promise<WebMessage[]> }): Promise<WebMessage[]> => (await chat.messages()).filter((m) => m.outcome !== undefined);

describe('approvals in the web chat (real codex, untrusted policy)', () => {
  it('an operator approves over the admin socket: the command runs and the answer shows it', async () => {
    touchScript('by-operator.txt');
    const chat = await start();
    await chat.post('please touch a file');
    const [pending] = await waitForCount(pendingApprovals, 1, 30_000, () => 'no approval pending');
    expect(pending).toMatchObject({ dispatcherId: 'main', kind: 'command', channelId: 'local' });
    expect(pending?.summary).toContain('touch by-operator.txt');
    const res = await adminRequest<{ status: string; text: string }>(service!.adminSocket, 'POST', `/approvals/${pending!.id}/approve`);
    expect(res).toMatchObject({ status: 'done', text: expect.stringContaining('Approved') });
    const [answer] = await waitForCount(
      () => answers(chat),
      1,
      30_000,
      (got) => `no answer: ${JSON.stringify(got)}`,
    );
    expect(answer?.text).toContain('Process exited with code 0');
    await stat(path.join(env.workDir, 'by-operator.txt'));
    expect(await pendingApprovals()).toEqual([]);
    const kept = service!.store.listApprovals().find((a) => a.id === pending!.id);
    expect(kept).toMatchObject({ state: 'decided', decision: 'accept', decidedBy: { id: 'operator' } });
    // A second decision on the settled request finds nothing pending.
    await expect(adminRequest(service!.adminSocket, 'POST', `/approvals/${pending!.id}/decline`)).rejects.toMatchObject({ status: 404 });
  });

  it('the Approve button in the chat (POST /api/actions): the command runs, the prompt shows who decided, a second press is told', async () => {
    touchScript('by-button.txt');
    const chat = await start();
    await chat.post('please touch a file');
    const prompt = await pollUntil(async () => (await chat.messages()).find((m) => m.prompt && m.prompt.buttons.length > 0), 'the prompt', 30_000);
    expect(prompt.prompt?.buttons.map((b) => b.label)).toEqual(['Approve', 'Approve for this session', 'Decline', 'Cancel turn']);
    expect(prompt.text).toContain('touch by-button.txt');
    const approve = prompt.prompt!.buttons[0]!;
    const press = () =>
      fetch(`${chat.url}/api/actions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ actionId: approve.actionId, conversation: chat.conversation }),
      });
    const first = await press();
    expect(first.status).toBe(200);
    expect(((await first.json()) as { text: string }).text).toBe('Approved.');
    const [answer] = await waitForCount(
      () => answers(chat),
      1,
      30_000,
      (got) => `no answer: ${JSON.stringify(got)}`,
    );
    expect(answer?.text).toContain('Process exited with code 0');
    await stat(path.join(env.workDir, 'by-button.txt'));
    const settled = (await chat.messages()).find((m) => m.id === prompt.id);
    expect(settled?.prompt?.buttons).toEqual([]);
    expect(settled?.prompt?.status).toMatch(/^✅ Approved by web-user/);
    const again = await press();
    expect(again.status).toBe(409);
    expect(((await again.json()) as { text: string }).text).toMatch(/Approved by web-user/);
  });

  it('a question (request_user_input): an option button answers it, and the model gets the answer', async () => {
    env.model.setScript(
      askScript(`ask-${++n}`, [
        {
          id: 'color',
          header: 'Colour',
          question: 'Which colour?',
          options: [
            { label: 'Red', description: 'warm' },
            { label: 'Blue', description: 'cool' },
          ],
        },
      ]),
    );
    const chat = await start();
    await chat.post('ask me something');
    const prompt = await pollUntil(async () => (await chat.messages()).find((m) => m.prompt && m.prompt.buttons.length > 0), 'the question', 30_000);
    expect(prompt.text).toContain('Which colour?');
    const blue = prompt.prompt!.buttons.find((b) => b.label === 'Blue')!;
    const res = await fetch(`${chat.url}/api/actions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ actionId: blue.actionId, conversation: chat.conversation }),
    });
    expect(res.status).toBe(200);
    const [answer] = await waitForCount(
      () => answers(chat),
      1,
      30_000,
      (got) => `no answer: ${JSON.stringify(got)}`,
    );
    expect(answer?.text).toContain('Blue');
  });

  it('questions with free text: a reply in the conversation is the answer, not a new turn; its redelivery does not answer the next', async () => {
    env.model.setScript(
      askScript(`ask-${++n}`, [
        { id: 'name', header: 'Name', question: 'What is the project called?', options: [{ label: 'Keep the old name', description: 'no change' }] },
        { id: 'owner', header: 'Owner', question: 'Who owns it?', options: [{ label: 'Nobody yet', description: 'decide later' }] },
      ]),
    );
    const chat = await start();
    await chat.post('ask me a name');
    const prompt = await pollUntil(async () => (await chat.messages()).find((m) => m.prompt && m.prompt.buttons.length > 0), 'the question', 30_000);
    expect(prompt.text).toContain('What is the project called?');
    await chat.post('Switchboard Nova', 'reply-1');
    const second = await pollUntil(
      async () => (await chat.messages()).find((m) => m.id === prompt.id && m.text.includes('Who owns it?')),
      'the second question',
      30_000,
    );
    expect(second.prompt?.buttons.length).toBeGreaterThan(0);
    // The platform delivers the first reply again: swallowed, the second question still waits.
    expect(await chat.post('Switchboard Nova', 'reply-1')).toBe(200);
    expect(service!.status().approvals).toHaveLength(1);
    expect((await chat.messages()).find((m) => m.id === prompt.id)?.text).toContain('Who owns it?');
    await chat.post('Ada', 'reply-2');
    const [answer] = await waitForCount(
      () => answers(chat),
      1,
      30_000,
      (got) => `no answer: ${JSON.stringify(got)}`,
    );
    expect(answer?.text).toContain('Switchboard Nova');
    expect(answer?.text).toContain('Ada');
    await service!.dispatchers.get('main')!.whenIdle();
    // The reply answered the question: only the first message became a turn.
    expect((await chat.messages()).filter((m) => m.outcome !== undefined)).toHaveLength(1);
  });

  it('no answer within approvals.timeoutMs: declined, the model is told and the command does not run', async () => {
    touchScript('timed-out.txt');
    const chat = await start({ timeoutMs: 1000 });
    await chat.post('please touch a file');
    const [answer] = await waitForCount(
      () => answers(chat),
      1,
      30_000,
      (got) => `no answer: ${JSON.stringify(got)}`,
    );
    expect(answer?.text).toMatch(/tool said: .*(rejected|declined)/i);
    await expect(stat(path.join(env.workDir, 'timed-out.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
    const kept = service!.store.listApprovals().at(-1);
    expect(kept).toMatchObject({ state: 'timedOut', decision: 'decline', decidedBy: null });
  });

  it('stop while a request is pending: the request is declined and the turn reported stopped', async () => {
    touchScript('stopped.txt');
    const chat = await start();
    await chat.post('please touch a file');
    await waitForCount(pendingApprovals, 1, 30_000, () => 'no approval pending');
    await chat.post('stop');
    await pollUntil(async () => ((await answers(chat)).length >= 1 ? true : undefined), 'the stopped turn was not answered', 30_000);
    const [answer] = await answers(chat);
    expect(answer?.outcome).toBe('interrupted');
    await expect(stat(path.join(env.workDir, 'stopped.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(service!.store.listApprovals().at(-1)).toMatchObject({ state: 'decided', decision: 'decline' });
  });
});
