/**
 * The fake Slack's live-answer methods, driven by the real WebClient (not our adapter): the
 * streaming trio's record and errors, unavailability, setStatus, postEphemeral, and the
 * interactivity deliveries' shapes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { webApi } from '@slack/bolt';
import { blockActionsPayload, startFakeSlack, type FakeSlack } from '../support/fake-slack/index.js';

let fake: FakeSlack | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function client(opts: Parameters<typeof startFakeSlack>[0] = {}): Promise<{ fake: FakeSlack; web: webApi.WebClient }> {
  fake = await startFakeSlack({ channels: ['C1', 'D1'], ...opts });
  return { fake, web: new webApi.WebClient('xoxb-fake', { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } }) };
}

const errorOf = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'ok',
    (e: { data?: { error?: string } }) => e.data?.error ?? 'thrown',
  );

describe('fake Slack streaming methods', () => {
  it('records the streamed text and chunks; after stopStream, appends answer message_not_in_streaming_state', async () => {
    const { fake, web } = await client();
    const root = fake.nextTs();
    const start = await web.chat.startStream({ channel: 'C1', thread_ts: root, recipient_user_id: 'U1', recipient_team_id: fake.teamId, markdown_text: 'Hel' });
    const ts = start.ts!;
    await web.chat.appendStream({
      channel: 'C1',
      ts,
      chunks: [
        { type: 'markdown_text', text: 'lo' },
        { type: 'task_update', id: 't', title: 'x', status: 'in_progress' },
      ],
    });
    await web.chat.stopStream({ channel: 'C1', ts, markdown_text: '!' });
    const [m] = fake.messages('C1');
    expect(m).toMatchObject({ ts, thread_ts: root, text: 'Hello!', streaming: false });
    expect((m!.chunks as unknown[]).length).toBe(4);
    expect(await errorOf(web.chat.appendStream({ channel: 'C1', ts, markdown_text: 'more' }))).toBe('message_not_in_streaming_state');
    expect(await errorOf(web.chat.stopStream({ channel: 'C1', ts }))).toBe('message_not_in_streaming_state');
    await web.chat.update({ channel: 'C1', ts, text: 'final', blocks: [] });
    expect(fake.messages('C1')[0]).toMatchObject({ text: 'final', blocks: [] });
    expect(fake.messages('C1')[0]!.chunks).toBeUndefined();
  });

  it('outside DMs a stream needs its recipient; too long text, unknown streams and bad chunks are refused', async () => {
    const { fake, web } = await client();
    expect(await errorOf(web.chat.startStream({ channel: 'C1', thread_ts: fake.nextTs(), markdown_text: 'x' }))).toBe('invalid_arguments');
    expect(await errorOf(web.chat.startStream({ channel: 'D1', thread_ts: fake.nextTs(), markdown_text: 'x'.repeat(12_001) }))).toBe('msg_too_long');
    expect(await errorOf(web.chat.appendStream({ channel: 'D1', ts: '1.1', markdown_text: 'x' }))).toBe('message_not_found');
    expect(await errorOf(web.apiCall('chat.startStream', { channel: 'D1', chunks: [{ type: 'nope' }] }))).toBe('invalid_chunks');
    expect(await errorOf(web.chat.startStream({ channel: 'C404', thread_ts: '1.1', markdown_text: 'x' }))).toBe('channel_not_found');
  });

  it('streaming can be made unavailable, and available again', async () => {
    const { fake, web } = await client({ streamingError: 'unknown_method' });
    expect(await errorOf(web.chat.startStream({ channel: 'D1', thread_ts: '1.1', markdown_text: 'x' }))).toBe('unknown_method');
    fake.setStreamingError(undefined);
    expect(await errorOf(web.chat.startStream({ channel: 'D1', thread_ts: '1.1', markdown_text: 'x' }))).toBe('ok');
  });

  it('records ephemerals and statuses', async () => {
    const { fake, web } = await client();
    await web.chat.postEphemeral({ channel: 'C1', user: 'U1', text: 'only you', thread_ts: '1.1' });
    await web.assistant.threads.setStatus({ channel_id: 'D1', thread_ts: '1.1', status: 'is thinking…' });
    expect(fake.ephemerals('C1')).toMatchObject([{ user: 'U1', text: 'only you', thread_ts: '1.1' }]);
    expect(fake.statuses()).toEqual([{ channel_id: 'D1', thread_ts: '1.1', status: 'is thinking…' }]);
  });

  it('a block_actions payload carries the press as Slack shapes it', () => {
    const p = blockActionsPayload({ user: 'U1', channel: 'C1', messageTs: '2.2', threadTs: '1.1', actionId: 'a', value: 'v', teamId: 'T1' });
    expect(p).toMatchObject({
      type: 'block_actions',
      user: { id: 'U1' },
      channel: { id: 'C1' },
      container: { message_ts: '2.2', thread_ts: '1.1' },
      actions: [{ action_id: 'a', value: 'v', type: 'button' }],
    });
  });
});
