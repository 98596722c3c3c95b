/**
 * The live bubble's incremental Markdown tree (src/channels/web/format/incremental-tree.ts): fed a
 * text as it grows, it ends with the same tree as one parse of the whole text, for paragraphs,
 * headings, lists, a table and a code block with blank lines inside.
 */
import { describe, expect, it } from 'vitest';
import { IncrementalMarkdownTree, MAX_UNSETTLED_CHARS, settledEnd } from '../../src/channels/web/format/incremental-tree.js';
import { markdownTree } from '../../src/channels/web/format/markdown-tree.js';

const TEXT = [
  '## Plan',
  '',
  'First **bold** words and a [link](https://example.com).',
  '',
  '- one',
  '- two',
  '',
  '```ts',
  'const a = 1;',
  '',
  'const b = 2;',
  '```',
  '',
  '| a | b |',
  '| --- | --- |',
  '| 1 | 2 |',
  '',
  'Done.',
].join('\n');

describe('incremental Markdown tree', () => {
  it('grown in small steps, ends equal to a parse of the whole text', () => {
    const inc = new IncrementalMarkdownTree();
    for (let n = 1; n <= TEXT.length; n += 7) inc.tree(TEXT.slice(0, n));
    expect(inc.tree(TEXT)).toEqual(markdownTree(TEXT));
  });

  it('cuts a very long paragraph at a line break, so each update re-parses a bounded tail', () => {
    const long = 'a line of one long paragraph\n'.repeat(500);
    const end = settledEnd(long);
    expect(end).toBeGreaterThan(0);
    expect(long.length - end).toBeLessThanOrEqual(MAX_UNSETTLED_CHARS);
    expect(long[end - 1]).toBe('\n');
  });

  it('never settles inside a code fence, and starts afresh for a text that is not an extension', () => {
    const fenced = '```\na\n\nb\n';
    expect(settledEnd(fenced)).toBe(0);
    const inc = new IncrementalMarkdownTree();
    inc.tree('first paragraph\n\nsecond');
    expect(inc.tree('another answer')).toEqual(markdownTree('another answer'));
  });
});
