/**
 * Slack prompts (approvals, questions) with the REAL Bolt SDK and WebClient against the fake Slack:
 * the posted Block Kit message (header, mrkdwn sections keeping the command's code block, answer
 * buttons in order with their styles and issued action ids, the status context line), presses of
 * an answer button in Socket Mode and over HTTP reaching onAction and answered ephemerally,
 * chat.update replacing the message without buttons, and failures answered instead of thrown.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import type { ActionEvent, ActionResult } from '../../src/channels/live.js';
import type { PromptView } from '../../src/channels/prompt.js';
import { createSlackChannel, type SlackChannel } from '../../src/channels/slack/index.js';
import { markdownToMrkdwn } from '../../src/channels/slack/format/mrkdwn.js';
import { CUT_NOTE } from '../../src/channels/slack/outbound/prompt-blocks.js';
import { decodePromptRef } from '../../src/channels/slack/outbound/prompt.js';
import type { AcceptResult, ReplyAddress } from '../../src/channels/types.js';
import { slackChannelSchema } from '../../src/config/schema.js';
import { silentLogger } from '../../src/log.js';
import { waitFor } from '../support/fake-clock.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack/index.js';

const SIGNING_SECRET = 'prompt-signing-secret';
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0)
    await cleanups
      .pop()?.()
      .catch(() => undefined);
});

interface Setup {
  fake: FakeSlack;
  channel: SlackChannel;
  presses: ActionEvent[];
}

async function setup(mode: 'socket' | 'http' = 'socket'): Promise<Setup> {
  const fake = await startFakeSlack({ users: { U1: { name: 'ada' } }, channels: ['C1'] });
  cleanups.push(() => fake.close());
  const config = slackChannelSchema.parse({
    id: 'team',
    type: 'slack',
    mode,
    botToken: 'xoxb-prompts',
    apiUrl: fake.apiUrl,
    ...(mode === 'socket' ? { appToken: 'xapp-1-prompts' } : { signingSecret: SIGNING_SECRET, listen: '127.0.0.1:0' }),
  });
  const channel = createSlackChannel(config, { logger: silentLogger(), clock: systemClock });
  cleanups.push(() => channel.stop());
  const presses: ActionEvent[] = [];
  const onAction = async (e: ActionEvent): Promise<ActionResult> => {
    presses.push(e);
    return { status: 'done', text: `You chose **${e.actionId}**.` };
  };
  await channel.start(async (): Promise<AcceptResult> => ({ status: 'duplicate' }), onAction);
  if (mode === 'socket') await fake.waitForConnection(1, 15_000);
  return { fake, channel, presses };
}

function question(fake: FakeSlack, conversation = 'C1'): ReplyAddress {
  const ts = fake.nextTs();
  fake.addMessage({ channel: conversation, ts, user: 'U1', text: 'please run the tests' });
  return { channelId: 'team', conversation, messageId: ts };
}

const approval = (over: Partial<PromptView> = {}): PromptView => ({
  title: '🔐 Approval needed: run a command',
  body: 'Codex wants to run:\n\n```sh\nnpm test -- --run "a & b"\n```\n\nin `/work/repo` because **the tests must pass**.',
  buttons: [
    { actionId: 'act-approve', label: 'Approve', style: 'primary' },
    { actionId: 'act-session', label: 'Approve for this session' },
    { actionId: 'act-decline', label: 'Decline', style: 'danger' },
  ],
  status: 'Waiting for an answer from _ada_',
  ...over,
});

type Block = { type: string; block_id?: string; text?: { type: string; text: string }; elements?: Array<Record<string, unknown>> };

async function postApproval(s: Setup, to: ReplyAddress, view = approval()): Promise<{ ref: string; ts: string }> {
  const res = await s.channel.prompts!.post(to, view);
  if (res.status !== 'sent') throw new Error(`prompt not posted: ${res.error}`);
  const ref = decodePromptRef(res.ref);
  expect(ref?.channel).toBe(to.conversation);
  return { ref: res.ref, ts: ref!.ts };
}

describe('Slack prompts: post and update', () => {
  it('posts one Block Kit message in the thread: header, body with the code block, buttons in order, status', async () => {
    const s = await setup();
    const to = question(s.fake);
    const { ts } = await postApproval(s, to);

    const call = s.fake.callsTo('chat.postMessage')[0]!;
    expect(call.body).toMatchObject({ channel: 'C1', thread_ts: to.messageId, text: '🔐 Approval needed: run a command' });
    const blocks = call.body.blocks as Block[];
    expect(blocks.map((b) => b.type)).toEqual(['header', 'section', 'actions', 'context']);
    expect(blocks[0]!.text).toEqual({ type: 'plain_text', text: '🔐 Approval needed: run a command', emoji: true });
    expect(blocks[1]!.text!.type).toBe('mrkdwn');
    expect(blocks[1]!.text!.text).toContain('```\nnpm test -- --run "a & b"\n```');
    expect(blocks[1]!.text!.text).toBe(markdownToMrkdwn(approval().body));
    expect(blocks[2]!.elements).toEqual([
      { type: 'button', action_id: 'switchboard_prompt_0', value: 'act-approve', style: 'primary', text: { type: 'plain_text', text: 'Approve', emoji: true } },
      { type: 'button', action_id: 'switchboard_prompt_1', value: 'act-session', text: { type: 'plain_text', text: 'Approve for this session', emoji: true } },
      { type: 'button', action_id: 'switchboard_prompt_2', value: 'act-decline', style: 'danger', text: { type: 'plain_text', text: 'Decline', emoji: true } },
    ]);
    expect(blocks[3]!.elements).toEqual([{ type: 'mrkdwn', text: markdownToMrkdwn('Waiting for an answer from _ada_') }]);

    const shown = s.fake.messages('C1').find((m) => m.ts === ts);
    expect(shown).toMatchObject({ user: s.fake.botUserId, thread_ts: to.messageId, blocks });
  });

  it('posts into the thread the message is in, and shows no context line without a status', async () => {
    const s = await setup();
    const root = question(s.fake);
    const to: ReplyAddress = { ...question(s.fake), thread: root.messageId };
    await postApproval(s, to, approval({ status: null }));
    const call = s.fake.callsTo('chat.postMessage')[0]!;
    expect(call.body.thread_ts).toBe(root.messageId);
    expect((call.body.blocks as Block[]).map((b) => b.type)).toEqual(['header', 'section', 'actions']);
  });

  it('update replaces the message: the buttons go, the status shows who decided', async () => {
    const s = await setup();
    const to = question(s.fake);
    const { ref, ts } = await postApproval(s, to);
    expect(await s.channel.prompts!.update(to, ref, approval({ buttons: [], status: '✅ Approved by **ada** at 14:02 UTC' }))).toBe(true);

    const call = s.fake.callsTo('chat.update')[0]!;
    expect(call.body).toMatchObject({ channel: 'C1', ts, text: '🔐 Approval needed: run a command' });
    const shown = s.fake.messages('C1').find((m) => m.ts === ts)!;
    const blocks = shown.blocks as Block[];
    expect(blocks.map((b) => b.type)).toEqual(['header', 'section', 'context']);
    expect(blocks[1]!.text!.text).toContain('```\nnpm test -- --run "a & b"\n```');
    expect(blocks[2]!.elements).toEqual([{ type: 'mrkdwn', text: markdownToMrkdwn('✅ Approved by **ada** at 14:02 UTC') }]);
    expect(shown.edited).toBeDefined();
    expect(s.fake.messages('C1').filter((m) => m.user === s.fake.botUserId)).toHaveLength(1);
  });

  it('a long body is cut into sections of at most 3,000 characters that each keep their code fences; a huge one is cut short', async () => {
    const s = await setup();
    const to = question(s.fake);
    const diff = Array.from({ length: 200 }, (_, i) => `+ line ${i} of the change, long enough to add up quickly`).join('\n');
    await postApproval(s, to, approval({ body: `Files to change:\n\n\`\`\`diff\n${diff}\n\`\`\`` }));
    const sections = (s.fake.callsTo('chat.postMessage')[0]!.body.blocks as Block[]).filter((b) => b.type === 'section');
    expect(sections.length).toBeGreaterThan(1);
    for (const b of sections) expect(b.text!.text.length).toBeLessThanOrEqual(3_000);
    const code = sections.filter((b) => b.text!.text.includes('+ line'));
    expect(code.length).toBeGreaterThan(1);
    for (const b of code) expect(b.text!.text).toMatch(/^```\n\+ line \d+[^`]*\n```$/);
    expect(code.map((b) => b.text!.text.slice(4, -4)).join('\n')).toBe(diff);

    const huge = Array.from({ length: 400 }, (_, i) => `Paragraph ${i}: ${'x'.repeat(400)}`).join('\n\n');
    await postApproval(s, to, approval({ body: huge }));
    const call = s.fake.callsTo('chat.postMessage')[1]!;
    expect(call.response.ok).toBe(true);
    const blocks = call.body.blocks as Block[];
    expect(blocks).toHaveLength(50);
    expect(blocks.filter((b) => b.type === 'section').at(-1)!.text!.text).toBe(CUT_NOTE);
    expect(blocks.at(-2)!.type).toBe('actions');
  });
});

describe('Slack prompts: failures are answered, never thrown', () => {
  it('post: Slack refuses → failed with its code; an unknown conversation → channel_not_found', async () => {
    const s = await setup();
    const to = question(s.fake);
    s.fake.failNext('chat.postMessage', { error: 'not_in_channel' });
    expect(await s.channel.prompts!.post(to, approval())).toEqual({ status: 'failed', error: 'not_in_channel' });
    expect(await s.channel.prompts!.post({ ...to, conversation: 'C404' }, approval())).toEqual({ status: 'failed', error: 'channel_not_found' });
  });

  it('update: a refused update, a deleted message and a foreign ref answer false', async () => {
    const s = await setup();
    const to = question(s.fake);
    const { ref } = await postApproval(s, to);
    s.fake.failNext('chat.update', { error: 'cant_update_message' });
    expect(await s.channel.prompts!.update(to, ref, approval({ buttons: [] }))).toBe(false);
    const gone = JSON.stringify({ v: 1, channel: 'C1', ts: s.fake.nextTs() });
    expect(await s.channel.prompts!.update(to, gone, approval({ buttons: [] }))).toBe(false);
    expect(await s.channel.prompts!.update(to, 'not a ref', approval({ buttons: [] }))).toBe(false);
    expect(s.fake.callsTo('chat.update')).toHaveLength(2);
  });
});

describe.each(['socket', 'http'] as const)('Slack prompt buttons (%s mode)', (mode) => {
  it('a press of an answer button reaches onAction with its action id; the presser is told the result in the thread', async () => {
    const s = await setup(mode);
    const to = question(s.fake);
    const { ts } = await postApproval(s, to);
    const button = (s.fake.callsTo('chat.postMessage')[0]!.body.blocks as Block[]).find((b) => b.type === 'actions')!.elements![2]!;
    const press = {
      user: 'U1',
      channel: 'C1',
      messageTs: ts,
      threadTs: to.messageId,
      actionId: String(button.action_id),
      value: String(button.value),
      blockId: 'switchboard_prompt_actions_0',
      label: 'Decline',
    };
    if (mode === 'socket') expect((await s.fake.sendAction(press)).acked).toBe(true);
    else expect((await s.fake.postAction(s.channel.eventsUrl!, SIGNING_SECRET, press)).status).toBe(200);

    await waitFor(() => s.fake.ephemerals().length === 1, 15_000, 'the ephemeral answer');
    expect(s.presses).toEqual([{ channelId: 'team', actionId: 'act-decline', user: { id: 'U1', name: 'U1' }, conversation: 'C1' }]);
    expect(s.fake.ephemerals()[0]).toMatchObject({ channel: 'C1', user: 'U1', text: markdownToMrkdwn('You chose **act-decline**.'), thread_ts: to.messageId });
  });
});
