/**
 * Slack inbound normalisation (pure): events built with the fake platform's builders (field sets
 * of real Slack payloads) → InboundMessage or a skip reason, with a users lookup passed in.
 */
import { describe, expect, it } from 'vitest';
import { classifyEvent, normaliseEvent, type NormaliseContext, type SlackMessageEvent } from '../../src/channels/slack/inbound/event.js';
import { fileLines, mentionedUserIds, renderInboundText, rewriteSlackText } from '../../src/channels/slack/inbound/text.js';
import { appMention, botMessage, channelMessage, dmMessage, messageChanged, messageDeleted } from '../support/fake-slack/index.js';

const BOT = { userId: 'UBOT', botId: 'BBOT' };
const NAMES: Record<string, string> = { U1: 'Ada', U2: 'Grace Hopper' };

function ctx(over: Partial<NormaliseContext> = {}): NormaliseContext & { lookups: string[] } {
  const lookups: string[] = [];
  return {
    channelId: 'slack',
    bot: BOT,
    allowBots: false,
    users: async (id) => {
      lookups.push(id);
      return NAMES[id];
    },
    now: 1_700_000_000_000,
    lookups,
    ...over,
  };
}

const ev = (e: Record<string, unknown>): SlackMessageEvent => e as unknown as SlackMessageEvent;

describe('rewriteSlackText', () => {
  const names = new Map(Object.entries(NAMES));

  it('strips the bot mention and rewrites other users, channels, specials and links', () => {
    expect(rewriteSlackText('<@UBOT> hello', 'UBOT', names)).toBe('hello');
    expect(rewriteSlackText('hey <@UBOT> please ask <@U1> and <@U2|grace>', 'UBOT', names)).toBe('hey please ask @Ada and @Grace Hopper');
    expect(rewriteSlackText('ping <@U9|someone> and <@U8>', 'UBOT', names)).toBe('ping @someone and @U8');
    expect(rewriteSlackText('see <#C123|general> and <#C456>', 'UBOT', names)).toBe('see #general and #C456');
    expect(rewriteSlackText('<!here> <!channel> <!subteam^S1|@devs>', 'UBOT', names)).toBe('@here @channel @devs');
    expect(rewriteSlackText('docs: <https://example.com/a?x=1&amp;y=2|the docs>', 'UBOT', names)).toBe('docs: the docs (https://example.com/a?x=1&y=2)');
    expect(rewriteSlackText('<http://example.com|example.com> <https://x.test> <mailto:a@b.c|a@b.c>', 'UBOT', names)).toBe(
      'http://example.com https://x.test a@b.c',
    );
  });

  it('unescapes &amp; &lt; &gt; exactly once', () => {
    expect(rewriteSlackText('a &lt; b &amp;&amp; c &gt; d; literal &amp;lt;', 'UBOT', names)).toBe('a < b && c > d; literal &lt;');
  });

  it('collapses the space left by a removed mention, also on later lines', () => {
    expect(rewriteSlackText('line one\n<@UBOT> line two <@UBOT>\nthree', 'UBOT', names)).toBe('line one\nline two\nthree');
  });

  it('lists mentioned users once', () => {
    expect(mentionedUserIds('<@U1> <@UBOT> <@U1|x> <@W2>')).toEqual(['U1', 'UBOT', 'W2']);
  });
});

describe('fileLines / renderInboundText', () => {
  it('appends one line per file with its permalink (files are not downloaded)', async () => {
    expect(fileLines([{ name: 'report.pdf', permalink: 'https://x.slack.com/files/U1/F1/report.pdf' }, { id: 'F2' }])).toEqual([
      '[file: report.pdf — https://x.slack.com/files/U1/F1/report.pdf]',
      '[file: F2]',
    ]);
    const text = await renderInboundText('<@UBOT> summarise', [{ name: 'a.txt', permalink: 'https://p/a' }], 'UBOT', async () => undefined);
    expect(text).toBe('summarise\n[file: a.txt — https://p/a]');
  });

  it('looks each mentioned user up once, never the bot, and survives a failing lookup', async () => {
    const asked: string[] = [];
    const text = await renderInboundText('<@U1> <@U1> <@UBOT> <@U3>', undefined, 'UBOT', async (id) => {
      asked.push(id);
      if (id === 'U3') throw new Error('users.info down');
      return NAMES[id];
    });
    expect(text).toBe('@Ada @Ada @U3');
    expect(asked).toEqual(['U1', 'U3']);
  });
});

describe('normaliseEvent', () => {
  it('app_mention → mentionsBot, mention stripped, thread = ts, sender name looked up', async () => {
    const e = appMention({ user: 'U1', channel: 'C1', text: '<@UBOT> what is up with <@U2>?', ts: '1700000001.000100' });
    const c = ctx();
    const res = await normaliseEvent(ev(e), c);
    expect(res).toEqual({
      status: 'message',
      message: {
        channelId: 'slack',
        conversation: 'C1',
        thread: '1700000001.000100',
        messageId: '1700000001.000100',
        sender: { id: 'U1', name: 'Ada' },
        text: 'what is up with @Grace Hopper?',
        isDirect: false,
        mentionsBot: true,
        receivedAt: 1_700_000_000_000,
      },
    });
    expect(c.lookups.sort()).toEqual(['U1', 'U2']);
  });

  it('the same message via app_mention and message.channels gives the same ids (dedup key)', async () => {
    const fields = { user: 'U1', channel: 'C1', text: '<@UBOT> hi', ts: '1700000002.000200', thread_ts: '1700000000.000100' };
    const a = await normaliseEvent(ev(appMention(fields)), ctx());
    const m = await normaliseEvent(ev(channelMessage(fields)), ctx());
    expect(a.status).toBe('message');
    expect(m.status).toBe('message');
    if (a.status !== 'message' || m.status !== 'message') return;
    expect([m.message.conversation, m.message.messageId, m.message.thread, m.message.mentionsBot]).toEqual([
      a.message.conversation,
      a.message.messageId,
      a.message.thread,
      a.message.mentionsBot,
    ]);
    expect(m.message.thread).toBe('1700000000.000100');
    expect(m.message.text).toBe(a.message.text);
  });

  it('DM → isDirect; plain channel message → no mention; mention in a channel message → mentionsBot', async () => {
    const dm = await normaliseEvent(ev(dmMessage({ user: 'U2', channel: 'D1', text: 'hello bot' })), ctx());
    expect(dm).toMatchObject({
      status: 'message',
      message: { isDirect: true, mentionsBot: false, conversation: 'D1', text: 'hello bot', sender: { id: 'U2', name: 'Grace Hopper' } },
    });
    const plain = await normaliseEvent(ev(channelMessage({ user: 'U1', channel: 'C1', text: 'just chatting' })), ctx());
    expect(plain).toMatchObject({ status: 'message', message: { isDirect: false, mentionsBot: false } });
    const mention = await normaliseEvent(ev(channelMessage({ user: 'U1', channel: 'C1', text: 'hey <@UBOT|switchboard> do it' })), ctx());
    expect(mention).toMatchObject({ status: 'message', message: { mentionsBot: true, text: 'hey do it' } });
    const group = await normaliseEvent(ev(channelMessage({ user: 'U1', channel: 'G1', text: 'x', channel_type: 'mpim' })), ctx());
    expect(group).toMatchObject({ status: 'message', message: { isDirect: false } });
  });

  it('file_share and thread_broadcast are user messages; files become lines', async () => {
    const withFile = channelMessage({ user: 'U1', channel: 'C1', text: '<@UBOT> look', files: [{ name: 'report.pdf', permalink: 'https://p/report' }] });
    expect(withFile.subtype).toBe('file_share');
    expect(await normaliseEvent(ev(withFile), ctx())).toMatchObject({ status: 'message', message: { text: 'look\n[file: report.pdf — https://p/report]' } });
    const broadcast = { ...channelMessage({ user: 'U1', channel: 'C1', text: '<@UBOT> also here', thread_ts: '1.1' }), subtype: 'thread_broadcast' };
    expect(await normaliseEvent(ev(broadcast), ctx())).toMatchObject({ status: 'message', message: { thread: '1.1' } });
  });

  it('ignores its own messages (by user id or bot id), other bots unless allowBots, and other subtypes', async () => {
    const own1 = botMessage({ channel: 'C1', text: 'mine', user: 'UBOT', bot_id: 'BBOT' });
    const own2 = botMessage({ channel: 'C1', text: 'mine (legacy)', bot_id: 'BBOT' });
    const otherApp = botMessage({ channel: 'C1', text: '<@UBOT> from an app', user: 'U0OTHERBOT' });
    const legacy = botMessage({ channel: 'C1', text: 'from a webhook', username: 'ci' });
    const cases: Array<[Record<string, unknown>, string]> = [
      [own1, 'own_message'],
      [own2, 'own_message'],
      [otherApp, 'bot_message'],
      [legacy, 'bot_message'],
      [messageChanged({ user: 'U1', channel: 'C1', ts: '1.1', text: '<@UBOT> edited' }), 'subtype'],
      [messageDeleted({ channel: 'C1', ts: '1.1' }), 'subtype'],
      [{ ...channelMessage({ user: 'U1', channel: 'C1', text: '<@U1> has joined' }), subtype: 'channel_join' }, 'subtype'],
      [{ type: 'message', channel: 'C1', text: 'no ts', user: 'U1' }, 'malformed'],
      [appMention({ user: 'U1', channel: 'C1', text: '<@UBOT>' }), 'empty'],
    ];
    for (const [e, reason] of cases) {
      const res = await normaliseEvent(ev(e), ctx());
      expect(res, `${String(e.subtype ?? e.text)}`).toMatchObject({ status: 'skip', reason });
    }
    // With allowBots, other bots (modern and legacy) pass; our own messages never do.
    const allow = ctx({ allowBots: true });
    expect(await normaliseEvent(ev(otherApp), allow)).toMatchObject({
      status: 'message',
      message: { sender: { id: 'U0OTHERBOT' }, mentionsBot: true, text: 'from an app' },
    });
    expect(await normaliseEvent(ev(legacy), allow)).toMatchObject({ status: 'message', message: { sender: { id: 'B0OTHER', name: 'ci' } } });
    expect(await normaliseEvent(ev(own1), allow)).toMatchObject({ status: 'skip', reason: 'own_message' });
    expect(classifyEvent(ev(messageChanged({ user: 'U1', channel: 'C1', ts: '1.1', text: 'x' })), BOT, true)).toMatchObject({
      reason: 'subtype',
      detail: 'message_changed',
    });
  });

  it('an unknown sender keeps just the id', async () => {
    const res = await normaliseEvent(ev(dmMessage({ user: 'U404', channel: 'D9', text: 'hi' })), ctx());
    expect(res).toMatchObject({ status: 'message', message: { sender: { id: 'U404' } } });
    if (res.status === 'message') expect(res.message.sender).not.toHaveProperty('name');
  });
});
