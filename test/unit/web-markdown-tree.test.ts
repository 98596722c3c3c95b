/**
 * The web chat's Markdown tree (src/channels/web/format/markdown-tree.ts): the GFM constructs a
 * reply uses come out as the allowed elements, and nothing unsafe gets through.
 */
import { describe, expect, it } from 'vitest';
import { MARKDOWN_TAGS, markdownTree, type MarkdownNode } from '../../src/channels/web/format/markdown-tree.js';
import { demoMarkdownText } from '../../src/demo/demo-script.js';

/** Every element of the tree, depth first. */
function elements(nodes: MarkdownNode[]): Exclude<MarkdownNode, string>[] {
  return nodes.flatMap((n) => (typeof n === 'string' ? [] : [n, ...elements(n.children)]));
}

describe('markdownTree', () => {
  it('renders headings, emphasis, inline code, links, lists, tables and fenced code', () => {
    expect(markdownTree('## Title\n\nSome **bold** and `code` and [a link](https://example.com).')).toEqual([
      { tag: 'h2', children: ['Title'] },
      {
        tag: 'p',
        children: [
          'Some ',
          { tag: 'strong', children: ['bold'] },
          ' and ',
          { tag: 'code', children: ['code'] },
          ' and ',
          { tag: 'a', href: 'https://example.com', children: ['a link'] },
          '.',
        ],
      },
    ]);
    expect(markdownTree('- one\n- two\n\n3. three\n4. four')).toEqual([
      {
        tag: 'ul',
        children: [
          { tag: 'li', children: ['one'] },
          { tag: 'li', children: ['two'] },
        ],
      },
      {
        tag: 'ol',
        start: 3,
        children: [
          { tag: 'li', children: ['three'] },
          { tag: 'li', children: ['four'] },
        ],
      },
    ]);
    expect(markdownTree('| a | b |\n| :-- | --: |\n| 1 | 2 |')).toEqual([
      {
        tag: 'table',
        children: [
          {
            tag: 'thead',
            children: [
              {
                tag: 'tr',
                children: [
                  { tag: 'th', align: 'left', children: ['a'] },
                  { tag: 'th', align: 'right', children: ['b'] },
                ],
              },
            ],
          },
          {
            tag: 'tbody',
            children: [
              {
                tag: 'tr',
                children: [
                  { tag: 'td', align: 'left', children: ['1'] },
                  { tag: 'td', align: 'right', children: ['2'] },
                ],
              },
            ],
          },
        ],
      },
    ]);
    expect(markdownTree('```ts title\nconst a = 1;\n```')).toEqual([{ tag: 'pre', lang: 'ts', children: [{ tag: 'code', children: ['const a = 1;'] }] }]);
    expect(markdownTree('- [x] done\n- [ ] open')).toEqual([
      {
        tag: 'ul',
        children: [
          { tag: 'li', checked: true, children: ['done'] },
          { tag: 'li', checked: false, children: ['open'] },
        ],
      },
    ]);
    expect(markdownTree('~~gone~~')).toEqual([{ tag: 'p', children: [{ tag: 'del', children: ['gone'] }] }]);
  });

  it('keeps raw HTML as text, drops unsafe link URLs and turns images into links', () => {
    expect(markdownTree('<script>alert(1)</script>')).toEqual(['<script>alert(1)</script>']);
    expect(markdownTree('[click](javascript:alert(1)) and <b>x</b>')).toEqual([{ tag: 'p', children: ['click', ' and ', '<b>', 'x', '</b>'] }]);
    expect(markdownTree('![logo](https://example.com/l.png)')).toEqual([
      { tag: 'p', children: [{ tag: 'a', href: 'https://example.com/l.png', children: ['logo'] }] },
    ]);
    expect(markdownTree('![x](data:image/png;base64,AAAA)')).toEqual([{ tag: 'p', children: ['x'] }]);
  });

  it('uses only the allowed tags for the demo markdown answer, and has every construct it shows', () => {
    const all = elements(markdownTree(demoMarkdownText()));
    for (const e of all) expect(MARKDOWN_TAGS).toContain(e.tag);
    const tags = new Set(all.map((e) => e.tag));
    for (const tag of ['h2', 'h3', 'ul', 'ol', 'li', 'table', 'th', 'td', 'a', 'pre', 'code', 'strong', 'em']) expect(tags).toContain(tag);
    expect(markdownTree('')).toEqual([]);
  });
});
