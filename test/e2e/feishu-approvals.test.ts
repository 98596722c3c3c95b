/**
 * Approvals on Feishu end to end: the real codex app-server (approval policy `untrusted`) asks
 * before running `touch`; the service posts an interactive card replying to the user's message;
 * presses arrive as real `card.action.trigger` callbacks (long connection and webhook) through the
 * real @larksuiteoapi/node-sdk. Only the sender (or a channel admin) may answer, the presser sees a
 * toast; the first answer wins and the card is patched to show who decided.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_VALUE_KEY } from '../../src/channels/feishu/outbound/card-stream.js';
import { PROMPT_BODY_ELEMENT } from '../../src/channels/feishu/outbound/prompt.js';
import type { ScriptFn } from '../../src/demo/scripted-model.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { waitFor } from '../support/fake-clock.js';
import { newChatId, newOpenId, startFakeFeishu, type FakeFeishu, type StoredMessage } from '../support/fake-feishu/index.js';
import { shownAnswer, startFeishuTestService, type FeishuTestService } from '../support/feishu-service.js';

let env: CodexTestEnv;
let fake: FakeFeishu;
const running: FeishuTestService[] = [];

/** `touch <file>` through codex's shell tool, then the tool's output as the answer. */
const touchScript: ScriptFn = (req) => {
  const file = /touch (\S+)/.exec(req.lastUserText)?.[1] ?? 'x.txt';
  const callId = `touch-${file}`;
  if (!req.hasFunctionOutput(callId)) return { kind: 'functionCall', name: 'exec_command', arguments: { cmd: `touch ${file}`, login: false }, callId };
  return { kind: 'reply', text: `tool said: ${req.functionOutput(callId) ?? '(nothing)'}` };
};

const APPROVALS = { sandbox: 'workspace-write', approvalPolicy: 'untrusted' };

beforeEach(async () => {
  env = await codexTestEnv(touchScript);
  fake = await startFakeFeishu();
});

afterEach(async () => {
  // The channel stops before the fake closes.
  await Promise.all(running.splice(0).map((s) => s.stop()));
  await fake.close();
  await env.cleanup();
});

interface CardElement {
  tag: string;
  element_id?: string;
  content?: string;
  text?: { content: string };
  behaviors?: Array<{ type: string; value: Record<string, unknown> }>;
}

/** The prompt card JSON a message shows now (after any patch). */
const cardOf = (messageId: string): { elements: CardElement[]; text: string } => {
  const content = fake.message(messageId)!.content;
  return { elements: (JSON.parse(content) as { body: { elements: CardElement[] } }).body.elements, text: content };
};

/** The approval prompt cards replying to `messageId` (interactive messages with the prompt body element). */
const prompts = (s: FeishuTestService, messageId: string): StoredMessage[] =>
  s.repliesTo(messageId).filter((m) => m.msg_type === 'interactive' && m.content.includes(PROMPT_BODY_ELEMENT));

const buttons = (messageId: string): CardElement[] => cardOf(messageId).elements.filter((e) => e.tag === 'button');

/** Waits for the settled answer among the replies to `messageId` that contains `marker`. */
async function answerTo(s: FeishuTestService, messageId: string, marker: string): Promise<string> {
  let found: string | undefined;
  await waitFor(
    () => {
      found = s
        .repliesTo(messageId)
        .map((m) => shownAnswer(fake, m))
        .find((md) => md?.includes(marker));
      return found !== undefined;
    },
    30_000,
    `the answer containing ${JSON.stringify(marker)}`,
  );
  return found!;
}

for (const mode of ['websocket', 'webhook'] as const) {
  describe(`Feishu approvals (${mode}, real codex)`, () => {
    it('a stranger is refused; the sender approves once (a double press is one decision); the command runs; the card shows who decided', async () => {
      const s = await startFeishuTestService(env, fake, { mode, codex: APPROVALS });
      running.push(s);
      const ada = newOpenId();
      fake.setUser(ada, 'Ada Lovelace');
      const chatId = newChatId();
      const event = fake.messageReceive({ chatId, chatType: 'group', senderOpenId: ada, text: `please touch feishu-${mode}.txt` });
      const messageId = event.event.message.message_id as string;
      await s.deliver(event);

      await waitFor(() => prompts(s, messageId).length === 1, 30_000, 'the approval card');
      const prompt = prompts(s, messageId)[0]!;
      expect(prompt.chat_id).toBe(chatId);
      expect(cardOf(prompt.message_id).text).toContain(`touch feishu-${mode}.txt`);
      expect(buttons(prompt.message_id).map((b) => b.text?.content)).toEqual(['Approve', 'Approve for this session', 'Decline', 'Cancel turn']);
      const approve = buttons(prompt.message_id)[0]!;
      const value = approve.behaviors![0]!.value;
      expect(typeof value[ACTION_VALUE_KEY]).toBe('string');
      const press = (who: string) => s.press({ operatorOpenId: who, value, messageId: prompt.message_id, chatId });

      const refused = await press(newOpenId());
      expect(refused.toast).toMatchObject({ type: 'warning' });
      expect(refused.toast!.content).toMatch(/Only the person who asked/);
      expect(s.service.status().approvals).toHaveLength(1);

      const both = await Promise.all([press(ada), press(ada)]);
      // Both presses are answered; one of them is the decision.
      expect(both.map((a) => a.toast?.content)).toContain('Approved.');
      for (const a of both) expect(a.toast?.content).toMatch(/Approved/);
      const markdown = await answerTo(s, messageId, 'tool said');
      expect(markdown).toContain('Process exited with code 0');
      await stat(path.join(env.workDir, `feishu-${mode}.txt`));
      const decided = s.service.store.listApprovals().filter((a) => a.state === 'decided');
      expect(decided).toHaveLength(1);
      expect(decided[0]).toMatchObject({ decision: 'accept', decidedBy: { id: ada, name: 'Ada Lovelace' } });
      // The agent was told who asked by name (contact API), not by open_id.
      expect(env.model.requests[0]?.lastUserText).toMatch(/^\[Ada Lovelace via /);

      // The card was patched in place: no buttons, who decided.
      await waitFor(() => buttons(prompt.message_id).length === 0, 15_000, 'the card patched');
      const patches = fake.callsTo('im.message.patch').filter((c) => c.params.message_id === prompt.message_id);
      expect(patches.length).toBeGreaterThan(0);
      expect(buttons(prompt.message_id)).toEqual([]);
      expect(cardOf(prompt.message_id).text).toContain('Approved by Ada Lovelace');
      expect(s.service.status().approvals).toHaveLength(0);

      // A press after the decision is told who decided.
      const stale = await press(ada);
      expect(stale.toast?.content).toContain('Approved by Ada Lovelace');
    });
  });
}

describe('Feishu approvals: decline (real codex)', () => {
  it('Decline: the command does not run and the model is told', async () => {
    const s = await startFeishuTestService(env, fake, { codex: APPROVALS });
    running.push(s);
    const ada = newOpenId();
    const chatId = newChatId();
    const event = fake.messageReceive({ chatId, chatType: 'group', senderOpenId: ada, text: 'please touch declined.txt' });
    const messageId = event.event.message.message_id as string;
    await s.deliver(event);
    await waitFor(() => prompts(s, messageId).length === 1, 30_000, 'the approval card');
    const prompt = prompts(s, messageId)[0]!;
    const decline = buttons(prompt.message_id).find((b) => b.text?.content === 'Decline')!;
    const answer = await s.press({ operatorOpenId: ada, value: decline.behaviors![0]!.value, messageId: prompt.message_id, chatId });
    expect(answer.toast).toMatchObject({ type: 'info' });

    const markdown = await answerTo(s, messageId, 'tool said');
    expect(markdown).toMatch(/rejected|declined/i);
    await expect(stat(path.join(env.workDir, 'declined.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(s.service.store.listApprovals().at(-1)).toMatchObject({ state: 'decided', decision: 'decline', decidedBy: { id: ada } });
    await waitFor(() => buttons(prompt.message_id).length === 0, 15_000, 'the card patched');
    expect(cardOf(prompt.message_id).text).toContain(`Declined by ${ada}`);
  });
});

describe('Feishu approvals: no answer (real codex)', () => {
  it('approvals.timeoutMs passes: the card shows the timeout decision without buttons; the command does not run', async () => {
    const s = await startFeishuTestService(env, fake, { codex: APPROVALS, approvals: { timeoutMs: 1000 } });
    running.push(s);
    const event = fake.messageReceive({ chatId: newChatId(), chatType: 'p2p', senderOpenId: newOpenId(), text: 'please touch timed-out.txt' });
    const messageId = event.event.message.message_id as string;
    await s.deliver(event);
    const markdown = await answerTo(s, messageId, 'tool said');
    expect(markdown).toMatch(/rejected|declined/i);
    await expect(stat(path.join(env.workDir, 'timed-out.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(s.service.store.listApprovals().at(-1)).toMatchObject({ state: 'timedOut', decision: 'decline', decidedBy: null });
    const prompt = prompts(s, messageId)[0]!;
    await waitFor(() => buttons(prompt.message_id).length === 0, 15_000, 'the card patched');
    expect(cardOf(prompt.message_id).text).toContain('No answer within 1 s');
  });
});
