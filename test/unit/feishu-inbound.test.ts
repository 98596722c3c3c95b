/**
 * Feishu inbound normalisation: receive events (built like Feishu sends them, flattened by the real
 * SDK EventDispatcher as both connection modes hand them over) → InboundMessage.
 */
import * as lark from '@larksuiteoapi/node-sdk';
import { describe, expect, it } from 'vitest';
import { renderContent, replaceMentionKeys, unsupportedText } from '../../src/channels/feishu/inbound/content.js';
import { RecentIds } from '../../src/channels/feishu/inbound/dedup.js';
import { classifyEvent, normaliseEvent, type FeishuMessageEvent } from '../../src/channels/feishu/inbound/event.js';
import { attachmentSlot, fillAttachmentSlots, labelAttachmentSlots, type PendingAttachment } from '../../src/channels/attachments.js';
import { captureLarkLogger, messageReceive, type EventContext, type MessageReceiveInput } from '../support/fake-feishu/index.js';

const BOT = 'ou_bot000000000000000000000000000b';
const CTX: EventContext = { appId: 'cli_0123456789abcdef', tenantKey: 'tk', token: 'vt', botOpenId: BOT, botName: 'Switchboard' };
const ADA = 'ou_ada00000000000000000000000000000';

/** The event as the SDK's EventDispatcher passes it to a handler (schema 2.0 flattened). */
async function flatten(event: object): Promise<FeishuMessageEvent> {
  let got: FeishuMessageEvent | undefined;
  const dispatcher = new lark.EventDispatcher({ logger: captureLarkLogger(), loggerLevel: lark.LoggerLevel.error }).register({
    'im.message.receive_v1': async (data: unknown) => {
      got = data as FeishuMessageEvent;
    },
  });
  await dispatcher.invoke(event, { needCheck: false });
  if (!got) throw new Error('handler not called');
  return got;
}

/** The line a channel's fetchAttachment would answer (the dispatcher puts it into the slot). */
const fetchedLine = (a: PendingAttachment): string => (a.kind === 'image' ? `[image: /cache/${a.key}.png]` : `[file "${a.name}": /cache/${a.name}]`);

/** The text the turn gets once the attachments were fetched. */
const withFetched = (m: { text: string; attachments?: PendingAttachment[] }): string => fillAttachmentSlots(m.text, (m.attachments ?? []).map(fetchedLine));

async function normalise(input: MessageReceiveInput) {
  const data = await flatten(messageReceive(input, CTX));
  return normaliseEvent(data, { channelId: 'fs', botOpenId: BOT, now: 1234 });
}

async function message(input: MessageReceiveInput) {
  const res = await normalise(input);
  if (res.status !== 'message') throw new Error(`skipped: ${res.reason} ${res.detail ?? ''}`);
  return res.message;
}

describe('text messages', () => {
  it('group message mentioning the bot: mention stripped, mentionsBot, chat_id/message_id as conversation/messageId', async () => {
    const m = await message({ messageId: 'om_1', chatId: 'oc_g', chatType: 'group', senderOpenId: ADA, text: 'please look at the build' });
    expect(m).toEqual({
      channelId: 'fs',
      conversation: 'oc_g',
      messageId: 'om_1',
      sender: { id: ADA },
      text: 'please look at the build',
      isDirect: false,
      mentionsBot: true,
      receivedAt: 1234,
    });
  });

  it('other mentions become @name, @_all becomes @all, the bot mention mid-text leaves one space', async () => {
    const m = await message({
      chatId: 'oc_g',
      chatType: 'group',
      senderOpenId: ADA,
      text: 'ask @_user_2 and @_user_3 — @_user_1 please, cc @_all',
      mentions: [
        { openId: 'ou_grace', name: 'Grace' },
        { openId: 'ou_linus', name: 'Linus' },
      ],
    });
    expect(m.text).toBe('ask @Grace and @Linus — please, cc @all');
    expect(m.mentionsBot).toBe(true);
  });

  it('p2p without mention is direct; a group message without the bot in mentions does not mention it', async () => {
    const dm = await message({ chatId: 'oc_p', chatType: 'p2p', senderOpenId: ADA, text: 'hello' });
    expect(dm).toMatchObject({ isDirect: true, mentionsBot: false, text: 'hello' });
    const quiet = await message({
      chatId: 'oc_g',
      chatType: 'group',
      senderOpenId: ADA,
      text: 'chatter about @_user_1',
      mentionBot: false,
      mentions: [{ openId: 'ou_x', name: 'X' }],
    });
    expect(quiet).toMatchObject({ isDirect: false, mentionsBot: false, text: 'chatter about @X' });
  });

  it('commands keep their shape once the mention is gone', async () => {
    expect((await message({ chatId: 'oc_g', chatType: 'group', senderOpenId: ADA, text: '/stop' })).text).toBe('/stop');
  });

  it('thread = thread_id, else root_id', async () => {
    expect((await message({ chatId: 'oc_g', chatType: 'group', senderOpenId: ADA, text: 'x', rootId: 'om_root', threadId: 'omt_1' })).thread).toBe('omt_1');
    expect((await message({ chatId: 'oc_g', chatType: 'group', senderOpenId: ADA, text: 'x', rootId: 'om_root' })).thread).toBe('om_root');
    expect((await message({ chatId: 'oc_g', chatType: 'group', senderOpenId: ADA, text: 'x' })).thread).toBeUndefined();
  });

  it('skips the bot itself, other apps, malformed and empty messages', async () => {
    expect(await normalise({ chatId: 'oc_g', chatType: 'group', senderOpenId: BOT, text: 'my own' })).toMatchObject({ status: 'skip', reason: 'own_message' });
    const data = await flatten(messageReceive({ chatId: 'oc_g', chatType: 'group', senderOpenId: 'ou_other_app', text: 'hi' }, CTX));
    data.sender!.sender_type = 'app';
    expect(classifyEvent(data, BOT)).toMatchObject({ status: 'skip', reason: 'app_message' });
    expect(classifyEvent({ message: { chat_id: 'oc' } }, BOT)).toMatchObject({ status: 'skip', reason: 'malformed' });
    expect(classifyEvent({ message: { chat_id: 'oc', message_id: 'om' } }, BOT)).toMatchObject({ status: 'skip', reason: 'malformed' });
    expect(await normalise({ chatId: 'oc_g', chatType: 'group', senderOpenId: ADA, text: '' })).toMatchObject({ status: 'skip', reason: 'empty' });
  });
});

describe('rich text (post)', () => {
  it('renders title, links, mentions, emoji, rules, code blocks and images (slots for attachments fetched later)', async () => {
    const m = await message({
      chatId: 'oc_g',
      chatType: 'group',
      senderOpenId: ADA,
      mentions: [{ openId: 'ou_grace', name: 'Grace' }],
      post: {
        title: 'Deploy issue',
        content: [
          [
            { tag: 'text', text: ' see ' },
            { tag: 'a', text: 'the log', href: 'https://ci.example/1' },
            { tag: 'text', text: ' and ' },
            { tag: 'a', text: 'https://x.example', href: 'https://x.example' },
            { tag: 'text', text: ', ping ' },
            { tag: 'at', user_id: '@_user_2', user_name: 'Grace' },
            { tag: 'emotion', emoji_type: 'SMILE' },
          ],
          [{ tag: 'code_block', language: 'TypeScript', text: 'const a = 1;\n\nconst b = "<x>";\n' }],
          [{ tag: 'hr' }],
          [{ tag: 'img', image_key: 'img_v3_1' }],
          [{ tag: 'media', file_key: 'file_v3_m' }],
          [{ tag: 'md', text: '**bold** by @_user_2' }],
        ],
      },
    });
    expect(m.mentionsBot).toBe(true);
    expect(withFetched(m)).toBe(
      [
        'Deploy issue',
        '',
        'see [the log](https://ci.example/1) and https://x.example, ping @Grace:SMILE:',
        '```typescript',
        'const a = 1;',
        '',
        'const b = "<x>";',
        '```',
        '---',
        '[image: /cache/img_v3_1.png]',
        '[video attachment: not downloaded]',
        '**bold** by @Grace',
      ].join('\n'),
    );
    expect(m.attachments).toEqual([{ kind: 'image', key: 'img_v3_1' }]);
    expect(m.text).toContain(attachmentSlot(0));
  });

  it('reads a locale-wrapped post too, and a code block beside text sits on its own lines', () => {
    const content = JSON.stringify({
      en_us: {
        title: '',
        content: [
          [
            { tag: 'text', text: 'run' },
            { tag: 'code_block', language: '', text: 'ls' },
            { tag: 'text', text: 'then' },
          ],
        ],
      },
    });
    expect(renderContent('post', content, [], BOT)).toEqual({ text: 'run\n```\nls\n```\nthen', attachments: [] });
  });
});

describe('images, files and other types', () => {
  it('an image becomes a pending attachment in its slot (nothing is downloaded while normalising)', async () => {
    const m = await message({ chatId: 'oc_p', chatType: 'p2p', senderOpenId: ADA, image: { imageKey: 'img_v3_9' } });
    expect(m.text).toBe(attachmentSlot(0));
    expect(m.attachments).toEqual([{ kind: 'image', key: 'img_v3_9' }]);
    expect(withFetched(m)).toBe('[image: /cache/img_v3_9.png]');
  });

  it('a file keeps its name', async () => {
    const m = await message({ chatId: 'oc_p', chatType: 'p2p', senderOpenId: ADA, file: { fileKey: 'file_v3_1', fileName: 'report.pdf' } });
    expect(m.attachments).toEqual([{ kind: 'file', key: 'file_v3_1', name: 'report.pdf' }]);
    expect(withFetched(m)).toBe('[file "report.pdf": /cache/report.pdf]');
  });

  it('where attachments are shown without fetching (queue listing, a text answer) the slots name them', async () => {
    const m = await message({ chatId: 'oc_p', chatType: 'p2p', senderOpenId: ADA, file: { fileKey: 'file_v3_2', fileName: 'a.csv' } });
    expect(labelAttachmentSlots(m.text, m.attachments)).toBe('[file "a.csv" attached]');
    expect(labelAttachmentSlots('plain', undefined)).toBe('plain');
  });

  it('slot marks a user typed are removed, so they cannot pose as attachments', async () => {
    const m = await message({ chatId: 'oc_p', chatType: 'p2p', senderOpenId: ADA, text: `look ${attachmentSlot(0)} here` });
    expect(m.text).toBe('look 0 here');
    expect(m.attachments).toBeUndefined();
  });

  it('other message types become a short note for the agent', () => {
    for (const type of ['sticker', 'audio', 'media', 'interactive', 'share_chat', 'merge_forward']) {
      const r = renderContent(type, '{"file_key":"x"}', [], BOT);
      expect(r).toEqual({ text: unsupportedText(type), attachments: [], unsupported: true });
      expect(r.text).toContain(`"${type}"`);
    }
  });

  it('unparsable content does not throw', () => {
    expect(renderContent('text', 'not json', [], BOT).text).toBe('');
    expect(renderContent('post', '[1,2]', [], BOT).text).toBe('');
    expect(renderContent('image', '{}', [], BOT).text).toBe('[an image without an image_key]');
  });
});

describe('helpers', () => {
  it('replaceMentionKeys leaves unknown keys and matches @_user_10 whole', () => {
    const mentions = [
      { key: '@_user_1', id: { open_id: 'ou_1' }, name: 'One' },
      { key: '@_user_10', id: { open_id: 'ou_10' }, name: 'Ten' },
    ];
    expect(replaceMentionKeys('@_user_10 @_user_1 @_user_7', mentions, BOT)).toBe('@Ten @One @_user_7');
  });

  it('RecentIds is bounded and forgets on request', () => {
    const ids = new RecentIds(2);
    expect(ids.add('a')).toBe(true);
    expect(ids.add('a')).toBe(false);
    ids.add('b');
    ids.add('c');
    expect(ids.has('a')).toBe(false);
    ids.delete('c');
    expect(ids.add('c')).toBe(true);
  });
});
