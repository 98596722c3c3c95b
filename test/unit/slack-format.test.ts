/**
 * Slack outbound formatting: Markdown → mrkdwn (slackify-markdown), kind marks, and the generic
 * splitter (src/channels/format/split.ts) with its fence handling.
 */
import { describe, expect, it } from 'vitest';
import { splitMessage } from '../../src/channels/format/split.js';
import { escapeRawHtml, markdownToMrkdwn } from '../../src/channels/slack/format/mrkdwn.js';
import { markKind } from '../../src/channels/format/mark-kind.js';
import { renderSlackParts, SLACK_PART_LIMIT } from '../../src/channels/slack/format/outbound.js';

/** slackify-markdown wraps inline marks in zero-width spaces (so mid-word marks work in Slack). */
const visible = (s: string): string => s.replace(/\u200b/g, '');

describe('markdownToMrkdwn', () => {
  it('converts headings, bold, italics, strike, links, lists and code', () => {
    const md = [
      '# Report',
      '',
      'Some **bold**, _italic_ and ~~gone~~ text with a [link](https://example.com/a?b=1&c=2).',
      '',
      '- first',
      '- second',
      '',
      '1. one',
      '2. two',
      '',
      'Inline `x < y` code.',
      '',
      '```ts',
      'const ok = a < b && c > d;',
      '```',
    ].join('\n');
    const out = visible(markdownToMrkdwn(md));
    expect(out).toContain('*Report*');
    expect(out).toContain('Some *bold*, _italic_ and ~gone~ text with a <https://example.com/a?b=1&c=2|link>.');
    expect(out).toMatch(/^•\s+first$/m);
    expect(out).toMatch(/^•\s+second$/m);
    expect(out).toMatch(/^1\.\s+one$/m);
    expect(out).toContain('Inline `x < y` code.');
    // Code blocks keep their content verbatim (no escaping inside), language tag dropped.
    expect(out).toContain('```\nconst ok = a < b && c > d;\n```');
    expect(out.endsWith('\n')).toBe(false);
  });

  it('escapes &, < and > in text, including would-be HTML, but keeps autolinks and code', () => {
    expect(markdownToMrkdwn('a & b')).toBe('a &amp; b');
    expect(markdownToMrkdwn('use Vec<String> here')).toBe('use Vec&lt;String&gt; here');
    // No raw `<` is left to start a Slack control sequence (a lone `>` is harmless; slackify escapes the last one).
    expect(markdownToMrkdwn('<div>x</div>').replace(/&gt;/g, '>')).toBe('&lt;div>x&lt;/div>');
    expect(markdownToMrkdwn('see <https://a.example>')).toBe('see <https://a.example|https://a.example>');
    expect(markdownToMrkdwn('`Vec<String>`')).toBe('`Vec<String>`');
  });

  it('escapeRawHtml leaves fenced code alone', () => {
    const md = '```\n<div>\n```\n<p>';
    expect(escapeRawHtml(md)).toBe('```\n<div>\n```\n\\<p>');
  });
});

describe('markKind', () => {
  it("leaves answers alone and does not double-prefix the dispatcher's error/notice texts", () => {
    expect(markKind({ kind: 'answer', text: 'hello' })).toBe('hello');
    expect(markKind({ kind: 'error', text: '⚠️ The agent could not answer: boom' })).toBe('⚠️ The agent could not answer: boom');
    expect(markKind({ kind: 'error', text: '⏹️ The turn was stopped.' })).toBe('⏹️ The turn was stopped.');
    expect(markKind({ kind: 'error', text: 'plain failure' })).toBe('⚠️ plain failure');
    expect(markKind({ kind: 'notice', text: '⏳ Codex keeps retrying' })).toBe('⏳ Codex keeps retrying');
    expect(markKind({ kind: 'notice', text: 'Nothing is running right now.' })).toBe('ℹ️ Nothing is running right now.');
    expect(markKind({ kind: 'answer', text: '  ' })).toBe('(empty answer)');
  });
});

/** Words of a text, ignoring fence lines (which the splitter may add when it reopens a fence). */
function words(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => !/^ {0,3}(`{3,}|~{3,})/.test(l))
    .join(' ')
    .split(/\s+/)
    .filter((w) => w !== '');
}

/** Each part must open and close its code fences. */
function fencesBalanced(part: string): boolean {
  return part.split('\n').filter((l) => /^ {0,3}```/.test(l)).length % 2 === 0;
}

describe('splitMessage', () => {
  it('returns short text as one part and nothing for blank text', () => {
    expect(splitMessage('  hello  ', 100)).toEqual(['hello']);
    expect(splitMessage(' \n ', 100)).toEqual([]);
  });

  it('cuts between paragraphs first', () => {
    const paras = ['a'.repeat(40), 'b'.repeat(40), 'c'.repeat(40)];
    const parts = splitMessage(paras.join('\n\n'), 90);
    expect(parts).toEqual([`${paras[0]}\n\n${paras[1]}`, paras[2]]);
  });

  it('cuts a long paragraph between lines, and a long line at spaces', () => {
    const lines = Array.from({ length: 10 }, (_, i) => `line ${i} ${'x'.repeat(20)}`);
    const parts = splitMessage(lines.join('\n'), 70);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(70);
    expect(parts[0]).toBe(lines.slice(0, 2).join('\n'));
    expect(parts.join('\n')).toBe(lines.join('\n'));

    const long = Array.from({ length: 50 }, (_, i) => `word${i}`).join(' ');
    const cut = splitMessage(long, 40);
    for (const p of cut) {
      expect(p.length).toBeLessThanOrEqual(40);
      expect(p).toBe(p.trim());
    }
    expect(cut.join(' ')).toBe(long);
  });

  it('never cuts inside a code fence that fits a part', () => {
    // biome-ignore lint/style/useTemplate: a template literal would have to escape the fence's backticks
    const fence = '```\n' + Array.from({ length: 8 }, (_, i) => `code line ${i}`).join('\n') + '\n```';
    const text = `${'intro '.repeat(10).trim()}\n\n${fence}\n\nafter`;
    const parts = splitMessage(text, 150);
    expect(parts.some((p) => p.includes(fence))).toBe(true);
    for (const p of parts) expect(fencesBalanced(p)).toBe(true);
  });

  it('closes and reopens (with its language) a fence longer than one part', () => {
    const body = Array.from({ length: 60 }, (_, i) => `  statement_${i}();`);
    const text = `Here:\n\n\`\`\`python\n${body.join('\n')}\n\`\`\`\n\nDone.`;
    const parts = splitMessage(text, 300);
    expect(parts.length).toBeGreaterThan(3);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(300);
      expect(fencesBalanced(p)).toBe(true);
    }
    const codeParts = parts.filter((p) => p.includes('statement_'));
    for (const p of codeParts) expect(p).toMatch(/^(Here:\n\n)?```python\n[^`]*\n```(\n\nDone\.)?$/);
    // Code lines keep their indentation and every line appears exactly once, in order.
    const seen = codeParts.flatMap((p) => p.split('\n').filter((l) => l.includes('statement_')));
    expect(seen).toEqual(body);
    expect(words(parts.join('\n'))).toEqual(words(text));
  });

  it('hard-cuts a single code line longer than a part without splitting surrogate pairs', () => {
    const line = '😀'.repeat(100); // 200 UTF-16 units
    // biome-ignore lint/style/useTemplate: a template literal would have to escape the fence's backticks
    const parts = splitMessage('```\n' + line + '\n```', 51);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(51);
      expect(fencesBalanced(p)).toBe(true);
      expect(p).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
    }
    expect(parts.map((p) => p.split('\n')[1]).join('')).toBe(line);
  });

  it('keeps every part within the limit and preserves the content of mixed text', () => {
    const chunks: string[] = [];
    for (let i = 0; i < 40; i++) {
      chunks.push(`Paragraph ${i}: ${'lorem ipsum dolor sit amet '.repeat((i % 7) + 1).trim()}`);
      // biome-ignore lint/style/useTemplate: a template literal would have to escape the fence's backticks
      if (i % 5 === 0) chunks.push('```js\n' + Array.from({ length: (i % 3) * 20 + 3 }, (_, j) => `fn${i}_${j}();`).join('\n') + '\n```');
      if (i % 9 === 0) chunks.push('x'.repeat(500));
    }
    const text = chunks.join('\n\n');
    for (const limit of [200, 333, 1000]) {
      const parts = splitMessage(text, limit);
      for (const p of parts) {
        expect(p.length).toBeLessThanOrEqual(limit);
        expect(fencesBalanced(p)).toBe(true);
        expect(p.trim()).not.toBe('');
      }
      expect(words(parts.join('\n')).join('')).toBe(words(text).join(''));
    }
  });

  it('rejects a limit too small for a reopened fence', () => {
    expect(() => splitMessage('x', 4)).toThrow(RangeError);
  });
});

describe('renderSlackParts', () => {
  it('renders mrkdwn parts of at most 3,500 characters', () => {
    const md = Array.from({ length: 30 }, (_, i) => `## Section ${i}\n\n${'**bold** text '.repeat(30)}`).join('\n\n');
    const parts = renderSlackParts({ kind: 'answer', text: md });
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(SLACK_PART_LIMIT);
    expect(visible(parts[0]!)).toMatch(/^\*Section 0\*\n\n\*bold\* text/);
  });

  it('marks errors once and never returns an empty list', () => {
    expect(renderSlackParts({ kind: 'error', text: 'it **broke**' }).map(visible)).toEqual(['⚠️ it *broke*']);
    expect(renderSlackParts({ kind: 'answer', text: '' })).toEqual(['(empty answer)']);
  });
});
