/**
 * Feishu outbound format: Markdown → `post` content with an `md` element, kind marks, splitting at
 * Feishu's request-body limit (measured on the escaped body), idempotency uuids.
 */
import { markKind } from '../../src/channels/format/mark-kind.js';
import { describe, expect, it } from 'vitest';
import { prepareMarkdown } from '../../src/channels/feishu/format/markdown.js';
import { FEISHU_BODY_LIMIT, postContent, renderMarkdownParts, renderPostParts, replyBodyBytes } from '../../src/channels/feishu/format/post.js';
import { isTopicThread, replyUuid } from '../../src/channels/feishu/outbound/send.js';

const answer = (text: string) => ({ kind: 'answer' as const, text });
const mdOf = (content: string): string => JSON.parse(content).zh_cn.content[0][0].text;

describe('prepareMarkdown', () => {
  it('turns headings into bold lines outside code, keeps everything else', () => {
    const md = ['# Plan', '## **Already bold**', 'text with `# not a heading`', '```sh', '# a comment', '```', '- item', '> quote', '#', '#hashtag'].join('\n');
    expect(prepareMarkdown(md)).toBe(
      ['**Plan**', '**Already bold**', 'text with `# not a heading`', '```sh', '# a comment', '```', '- item', '> quote', '', '#hashtag'].join('\n'),
    );
  });

  it('defuses <at> tags outside code so an answer cannot mention people', () => {
    const out = prepareMarkdown('hey <at user_id="all">everyone</at> and `<at user_id="x">` and\n```\n<at user_id="y"></at>\n```');
    expect(out).toBe('hey <\u200bat user_id="all">everyone<\u200b/at> and `<at user_id="x">` and\n```\n<at user_id="y"></at>\n```');
  });

  it('normalises line endings', () => {
    expect(prepareMarkdown('a\r\nb\rc')).toBe('a\nb\nc');
  });
});

describe('markKind', () => {
  it('marks errors and notices unless they lead with an emoji; answers stay', () => {
    expect(markKind({ kind: 'answer', text: ' hi ' })).toBe('hi');
    expect(markKind({ kind: 'error', text: 'boom' })).toBe('⚠️ boom');
    expect(markKind({ kind: 'notice', text: 'fyi' })).toBe('ℹ️ fyi');
    expect(markKind({ kind: 'error', text: '⏹️ The turn was stopped.' })).toBe('⏹️ The turn was stopped.');
    expect(markKind({ kind: 'answer', text: '  ' })).toBe('(empty answer)');
  });
});

describe('renderPostParts', () => {
  it('a short answer is one post with a single md element under zh_cn', () => {
    const md = 'Here is **the plan**:\n\n```js\nconsole.log(1 < 2 && "ok");\n```\n\n1. one\n2. two';
    const parts = renderPostParts(answer(md));
    expect(parts).toHaveLength(1);
    expect(JSON.parse(parts[0]!)).toEqual({ zh_cn: { content: [[{ tag: 'md', text: md }]] } });
    expect(postContent('x')).toBe('{"zh_cn":{"content":[[{"tag":"md","text":"x"}]]}}');
  });

  it('splits long answers at paragraph boundaries, each part within the character limit', () => {
    const paragraphs = Array.from({ length: 40 }, (_, i) => `Paragraph ${i} ${'word '.repeat(60).trim()}`);
    const parts = renderMarkdownParts(answer(paragraphs.join('\n\n')), { chars: 2_000 });
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(2_000);
    expect(parts.join('\n\n')).toBe(paragraphs.join('\n\n'));
  });

  it('keeps code fences balanced when one block is longer than a part', () => {
    const code = Array.from({ length: 400 }, (_, i) => `line ${i} = compute(${i});`).join('\n');
    const parts = renderMarkdownParts(answer(`Intro\n\n\`\`\`ts\n${code}\n\`\`\`\n\nOutro`), { chars: 1_500 });
    expect(parts.length).toBeGreaterThan(3);
    for (const p of parts) expect((p.match(/^```/gm) ?? []).length % 2).toBe(0);
    expect(parts.slice(1, -1).every((p) => p.startsWith('```ts\n'))).toBe(true);
  });

  it('measures the escaped request body: CJK and quote-heavy text is split further to stay under 28 KiB', () => {
    const cjk = '这是一段很长的中文回答，用来测试飞书消息的大小限制。'.repeat(600); // ~16k chars, ~48 KB UTF-8
    const cjkParts = renderPostParts(answer(cjk));
    expect(cjkParts.length).toBeGreaterThan(1);
    for (const c of cjkParts) expect(replyBodyBytes(c)).toBeLessThanOrEqual(FEISHU_BODY_LIMIT);
    expect(cjkParts.map(mdOf).join('')).toBe(cjk);

    const quotes = '"\\"'.repeat(3_000); // 9k chars, each escaped twice over
    const quoteParts = renderPostParts(answer(quotes));
    for (const c of quoteParts) expect(replyBodyBytes(c)).toBeLessThanOrEqual(FEISHU_BODY_LIMIT);
    expect(quoteParts.map(mdOf).join('')).toBe(quotes);
    expect(Buffer.byteLength(quoteParts[0]!)).toBeGreaterThan(10_000);
  });

  it('an empty error still says something', () => {
    expect(renderMarkdownParts({ kind: 'error', text: '' })).toEqual(['(no details)']);
  });
});

describe('reply addressing', () => {
  it('uuids are stable per key and part, distinct otherwise, at most 50 characters', () => {
    const a = replyUuid('entry-1', 0);
    expect(a).toBe(replyUuid('entry-1', 0));
    expect(a).not.toBe(replyUuid('entry-1', 1));
    expect(a).not.toBe(replyUuid('entry-2', 0));
    expect(replyUuid('k'.repeat(500), 999).length).toBeLessThanOrEqual(50);
  });

  it('only topic thread ids reply in thread', () => {
    expect(isTopicThread('omt_1')).toBe(true);
    expect(isTopicThread('om_root')).toBe(false);
    expect(isTopicThread(undefined)).toBe(false);
  });
});
