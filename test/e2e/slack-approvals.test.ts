/**
 * Approvals on Slack end to end: the real codex app-server (approval policy `untrusted`) asks
 * before running `touch`; the service posts a Block Kit prompt in the mention's thread; presses
 * arrive as real `block_actions` (signed HTTP and Socket Mode) through the real Bolt app. Only the
 * sender (or a channel admin) may answer; the first answer wins and the prompt shows who decided.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ScriptFn } from '../../src/demo/scripted-model.js';
import { askScript } from '../support/approval-scripts.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { waitFor } from '../support/fake-clock.js';
import { appMention, channelMessage, startFakeSlack, type FakeSlack } from '../support/fake-slack/index.js';
import type { RecordedCall } from '../support/fake-slack/index.js';
import { SLACK_SIGNING_SECRET, startSlackTestService, type SlackTestService } from '../support/slack-service.js';

let env: CodexTestEnv;
let fake: FakeSlack;
const running: SlackTestService[] = [];

/** `touch <file>` through codex's shell tool, then the tool's output as the answer. */
const touchScript: ScriptFn = (req) => {
  const file = /touch (\S+)/.exec(req.lastUserText)?.[1] ?? 'x.txt';
  const callId = `touch-${file}`;
  if (!req.hasFunctionOutput(callId)) return { kind: 'functionCall', name: 'exec_command', arguments: { cmd: `touch ${file}`, login: false }, callId };
  return { kind: 'reply', text: `tool said: ${req.functionOutput(callId) ?? '(nothing)'}` };
};

beforeEach(async () => {
  env = await codexTestEnv(touchScript);
  fake = await startFakeSlack({ users: { U1: { name: 'ada', display_name: 'Ada' }, U2: { name: 'grace' } } });
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  await fake.close();
  await env.cleanup();
});

interface Button {
  action_id: string;
  value: string;
  text: { text: string };
}

/** The prompt posts (messages with an `actions` block) in `channel`. */
const prompts = (channel: string): RecordedCall[] =>
  fake
    .callsTo('chat.postMessage')
    .filter((c) => c.body.channel === channel && c.response.ok === true && JSON.stringify(c.body.blocks ?? []).includes('switchboard_prompt_'));

function buttons(call: RecordedCall): Button[] {
  const blocks = call.body.blocks as Array<{ type: string; elements?: Button[] }>;
  return blocks.filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
}

for (const mode of ['http', 'socket'] as const) {
  describe(`Slack approvals (${mode}, real codex)`, () => {
    it('wrong user refused; the sender approves once (a double press is one decision); the command runs; the prompt shows who decided', async () => {
      const s = await startSlackTestService(env, fake, { mode, codex: { sandbox: 'workspace-write', approvalPolicy: 'untrusted' } });
      running.push(s);
      const ts = fake.nextTs();
      await s.deliver(appMention({ user: 'U1', channel: 'C1', text: `<@UBOT> please touch slack-${mode}.txt`, ts }));
      await waitFor(() => prompts('C1').length === 1, 30_000, 'the approval prompt');
      const prompt = prompts('C1')[0]!;
      expect(prompt.body.thread_ts).toBe(ts);
      expect(JSON.stringify(prompt.body.blocks)).toContain(`touch slack-${mode}.txt`);
      const labels = buttons(prompt).map((b) => b.text.text);
      expect(labels).toEqual(['Approve', 'Approve for this session', 'Decline', 'Cancel turn']);
      const approve = buttons(prompt)[0]!;
      const promptTs = String(prompt.response.ts);
      const press = (user: string) => {
        const p = { user, channel: 'C1', messageTs: promptTs, threadTs: ts, actionId: approve.action_id, value: approve.value, blockId: 'x', label: 'Approve' };
        return mode === 'http' ? fake.postAction(s.channel.eventsUrl!, SLACK_SIGNING_SECRET, p) : fake.sendAction(p);
      };

      await press('U2');
      await waitFor(() => fake.ephemerals('C1').length === 1, 15_000, 'the refusal');
      expect(fake.ephemerals('C1')[0]).toMatchObject({ user: 'U2' });
      expect(fake.ephemerals('C1')[0]!.text).toMatch(/Only the person who asked/);
      expect(s.service.status().approvals).toHaveLength(1);

      await Promise.all([press('U1'), press('U1')]);
      await waitFor(() => fake.ephemerals('C1').length === 3, 15_000, 'both presses answered');
      const answer = (await s.waitForPosts('C1', ts, 2)).find((p) => String(p.body.text).includes('tool said'));
      expect(answer?.body.text).toContain('Process exited with code 0');
      await stat(path.join(env.workDir, `slack-${mode}.txt`));
      const decided = s.service.store.listApprovals().filter((a) => a.state === 'decided');
      expect(decided).toHaveLength(1);
      expect(decided[0]).toMatchObject({ decision: 'accept', decidedBy: { id: 'U1' } });
      // The prompt was updated in place: no buttons, who decided.
      const update = fake
        .callsTo('chat.update')
        .filter((c) => c.body.ts === promptTs && c.response.ok === true)
        .at(-1);
      expect(update).toBeDefined();
      expect(JSON.stringify(update!.body.blocks)).not.toContain('switchboard_prompt_');
      expect(JSON.stringify(update!.body.blocks)).toMatch(/Approved by Ada/);
      // A press after the decision is told who decided.
      await press('U1');
      await waitFor(() => fake.ephemerals('C1').length === 4, 15_000, 'the stale answer');
      expect(fake.ephemerals('C1')[3]!.text).toMatch(/Approved by Ada/);
    });
  });
}

describe('Slack approvals: decline (real codex)', () => {
  it('Decline: the command does not run and the model is told', async () => {
    const s = await startSlackTestService(env, fake, { mode: 'socket', codex: { sandbox: 'workspace-write', approvalPolicy: 'untrusted' } });
    running.push(s);
    const ts = fake.nextTs();
    await s.deliver(appMention({ user: 'U1', channel: 'C2', text: '<@UBOT> please touch declined.txt', ts }));
    await waitFor(() => prompts('C2').length === 1, 30_000, 'the approval prompt');
    const prompt = prompts('C2')[0]!;
    const decline = buttons(prompt).find((b) => b.text.text === 'Decline')!;
    await fake.sendAction({
      user: 'U1',
      channel: 'C2',
      messageTs: String(prompt.response.ts),
      threadTs: ts,
      actionId: decline.action_id,
      value: decline.value,
      label: 'Decline',
    });
    const answer = (await s.waitForPosts('C2', ts, 2)).find((p) => String(p.body.text).includes('tool said'));
    expect(answer?.body.text).toMatch(/rejected|declined/i);
    await expect(stat(path.join(env.workDir, 'declined.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(s.service.store.listApprovals().at(-1)).toMatchObject({ state: 'decided', decision: 'decline', decidedBy: { id: 'U1' } });
  });
});

describe('Slack approvals: no answer (real codex)', () => {
  it('approvals.timeoutMs passes: the prompt shows the timeout decision without buttons; the command does not run', async () => {
    const s = await startSlackTestService(env, fake, {
      mode: 'socket',
      codex: { sandbox: 'workspace-write', approvalPolicy: 'untrusted' },
      approvals: { timeoutMs: 1000 },
    });
    running.push(s);
    const ts = fake.nextTs();
    await s.deliver(appMention({ user: 'U1', channel: 'C3', text: '<@UBOT> please touch timed-out.txt', ts }));
    const answer = (await s.waitForPosts('C3', ts, 2)).find((p) => String(p.body.text).includes('tool said'));
    expect(answer?.body.text).toMatch(/rejected|declined/i);
    await expect(stat(path.join(env.workDir, 'timed-out.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(s.service.store.listApprovals().at(-1)).toMatchObject({ state: 'timedOut', decision: 'decline', decidedBy: null });
    // The prompt was updated in place: the timeout line, no buttons left.
    const promptTs = prompts('C3')[0]!.response.ts;
    const updates = () => fake.callsTo('chat.update').filter((c) => c.body.ts === promptTs && c.response.ok === true);
    await waitFor(() => updates().length > 0, 15_000, 'the prompt updated');
    const last = JSON.stringify(updates().at(-1)!.body.blocks);
    expect(last).toContain('No answer within 1 s');
    expect(last).not.toContain('switchboard_prompt_');
  });
});

describe('Slack questions (real codex)', () => {
  it('a free-text question in a channel is answered by a plain reply in the thread (no @-mention needed); a stranger’s reply is not the answer', async () => {
    env.model.setScript(
      askScript('ask-name', [
        { id: 'name', header: 'Name', question: 'What is the project called?', options: [{ label: 'Keep the old name', description: 'no change' }] },
      ]),
    );
    const s = await startSlackTestService(env, fake, { mode: 'socket' });
    running.push(s);
    const ts = fake.nextTs();
    await s.deliver(appMention({ user: 'U1', channel: 'C5', text: '<@UBOT> name the project', ts }));
    await waitFor(() => prompts('C5').length === 1, 30_000, 'the question');
    expect(JSON.stringify(prompts('C5')[0]!.body.blocks)).toContain('Reply in this thread to answer.');
    // Someone else's reply in the thread is neither the answer nor a turn (no mention).
    await s.deliver(channelMessage({ user: 'U2', channel: 'C5', text: 'Project Grace', ts: fake.nextTs(), thread_ts: ts }));
    expect(s.service.status().approvals).toHaveLength(1);
    await s.deliver(channelMessage({ user: 'U1', channel: 'C5', text: 'Switchboard Nova', ts: fake.nextTs(), thread_ts: ts }));
    const answer = (await s.waitForPosts('C5', ts, 2)).find((p) => String(p.body.text).includes('user said'));
    expect(answer?.body.text).toContain('Switchboard Nova');
    expect(answer?.body.text).not.toContain('Project Grace');
    expect(s.service.store.listApprovals().at(-1)).toMatchObject({ kind: 'question', state: 'decided', decidedBy: { id: 'U1' } });
  });
});
