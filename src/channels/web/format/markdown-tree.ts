/**
 * Markdown of web chat replies as a small, safe element tree the page turns into DOM nodes.
 *
 * Parsing is CommonMark + GFM (tables, strikethrough, task lists, autolinks) by
 * `mdast-util-from-markdown` with `micromark-extension-gfm` / `mdast-util-gfm`. The tree holds
 * only the tags in {@link MARKDOWN_TAGS} and plain strings; raw HTML in the Markdown stays text,
 * images become links, and a link whose URL is not http(s) or mailto keeps only its text. The
 * page builds elements with `createElement` and strings with text nodes (never `innerHTML`), and
 * checks tags and URLs again, so a message cannot inject markup.
 */
import type { Nodes, Parents, RootContent, Table } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { gfm } from 'micromark-extension-gfm';

/** Tags a {@link MarkdownElement} may have (the page accepts these and no others). */
export const MARKDOWN_TAGS = [
  'p',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'hr',
  'blockquote',
  'ul',
  'ol',
  'li',
  'pre',
  'code',
  'em',
  'strong',
  'del',
  'br',
  'a',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
] as const;

export type MarkdownTag = (typeof MARKDOWN_TAGS)[number];

/** One element: its tag, children, and the few attributes the page honours. */
export interface MarkdownElement {
  tag: MarkdownTag;
  children: MarkdownNode[];
  /** `a` only: an http(s) or mailto URL. */
  href?: string;
  /** `ol` only: the first item's number when not 1. */
  start?: number;
  /** `th`/`td` only: the column's alignment. */
  align?: 'left' | 'center' | 'right';
  /** `li` of a task list: whether the box is ticked. */
  checked?: boolean;
  /** `pre` only: the fenced block's info string (first word), e.g. `ts`. */
  lang?: string;
}

/** A text run or an element. */
export type MarkdownNode = string | MarkdownElement;

const SAFE_URL = /^(https?:|mailto:)/i;

function el(tag: MarkdownTag, children: MarkdownNode[], extra: Omit<MarkdownElement, 'tag' | 'children'> = {}): MarkdownElement {
  return { tag, children, ...extra };
}

function kids(node: Parents): MarkdownNode[] {
  return (node.children as RootContent[]).flatMap((c) => convert(c));
}

function table(node: Table): MarkdownElement {
  const rows = node.children.map((row, r) =>
    el(
      'tr',
      row.children.map((cell, i) => {
        const align = node.align?.[i];
        return el(r === 0 ? 'th' : 'td', kids(cell), align ? { align } : {});
      }),
    ),
  );
  const [head, ...body] = rows;
  return el('table', [el('thead', head ? [head] : []), ...(body.length ? [el('tbody', body)] : [])]);
}

/** One mdast node as zero or more tree nodes. */
function convert(node: Nodes): MarkdownNode[] {
  switch (node.type) {
    case 'root':
      return kids(node);
    case 'paragraph':
      return [el('p', kids(node))];
    case 'heading':
      return [el(`h${node.depth}`, kids(node))];
    case 'thematicBreak':
      return [el('hr', [])];
    case 'blockquote':
      return [el('blockquote', kids(node))];
    case 'list':
      return [el(node.ordered ? 'ol' : 'ul', kids(node), node.ordered && node.start != null && node.start !== 1 ? { start: node.start } : {})];
    case 'listItem': {
      // A tight list item's paragraphs render inline, as in GitHub's rendering.
      const children = node.spread ? kids(node) : node.children.flatMap((c) => (c.type === 'paragraph' ? kids(c) : convert(c)));
      return [el('li', children, typeof node.checked === 'boolean' ? { checked: node.checked } : {})];
    }
    case 'code': {
      const lang = node.lang?.split(/\s/)[0];
      return [el('pre', [el('code', [node.value])], lang ? { lang } : {})];
    }
    case 'inlineCode':
      return [el('code', [node.value])];
    case 'emphasis':
      return [el('em', kids(node))];
    case 'strong':
      return [el('strong', kids(node))];
    case 'delete':
      return [el('del', kids(node))];
    case 'break':
      return [el('br', [])];
    case 'link':
      return SAFE_URL.test(node.url) ? [el('a', kids(node), { href: node.url })] : kids(node);
    case 'image':
      return SAFE_URL.test(node.url) ? [el('a', [node.alt || node.url], { href: node.url })] : [node.alt ?? ''];
    case 'table':
      return [table(node)];
    case 'text':
      return [node.value];
    case 'html':
      return [node.value];
    case 'definition':
    case 'footnoteDefinition':
    case 'yaml':
      return [];
    default:
      // linkReference, imageReference, footnoteReference, …: keep whatever text they hold.
      return 'children' in node ? kids(node) : 'value' in node && typeof node.value === 'string' ? [node.value] : [];
  }
}

/**
 * Parses `markdown` into the element tree (top-level blocks, in order). Never throws for any
 * input string; an empty string gives `[]`.
 */
export function markdownTree(markdown: string): MarkdownNode[] {
  const root = fromMarkdown(markdown, { extensions: [gfm()], mdastExtensions: [gfmFromMarkdown()] });
  return convert(root);
}
