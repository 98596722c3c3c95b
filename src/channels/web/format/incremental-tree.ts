/**
 * The Markdown tree of a text that grows (a live answer being written), without parsing the whole
 * text on every update: the part up to the last paragraph break outside a code fence is parsed
 * once and kept; each update parses only what follows it.
 *
 * A preview, not the final word: Markdown that a later block changes (a lazy list continuation,
 * a reference definition below its use) may show differently until the final message, which is
 * parsed whole (./markdown-tree.ts). A text that does not extend the last one starts afresh.
 */
import { markdownTree, type MarkdownNode } from './markdown-tree.js';

/** Longest unsettled tail re-parsed on each update, characters; a longer one is cut at a line break. */
export const MAX_UNSETTLED_CHARS = 4096;

/**
 * Where the settled part of `text` ends: after the last blank line outside a fenced code block,
 * or, when more than `maxTail` characters follow it, after the last line break outside a fence
 * (one long paragraph then previews as several; the final message is parsed whole). 0: none.
 */
export function settledEnd(text: string, maxTail = MAX_UNSETTLED_CHARS): number {
  let inFence = false;
  let blank = 0;
  let line = 0;
  let lineStart = 0;
  for (;;) {
    const nl = text.indexOf('\n', lineStart);
    if (nl === -1) break;
    const content = text.slice(lineStart, nl);
    if (/^\s{0,3}(```|~~~)/.test(content)) inFence = !inFence;
    else if (!inFence) {
      if (content.trim() === '' && lineStart > 0) blank = nl + 1;
      line = nl + 1;
    }
    lineStart = nl + 1;
  }
  return text.length - blank > maxTail && line > blank ? line : blank;
}

export class IncrementalMarkdownTree {
  private settledText = '';
  private settledTree: MarkdownNode[] = [];
  private lastText = '';
  private lastTree: MarkdownNode[] = [];

  /** The tree of `text`, reusing the parse of the settled part of the previous text when it extends it. */
  tree(text: string): MarkdownNode[] {
    if (text === this.lastText) return this.lastTree;
    if (!text.startsWith(this.settledText)) {
      this.settledText = '';
      this.settledTree = [];
    }
    const end = settledEnd(text);
    if (end > this.settledText.length) {
      this.settledTree = [...this.settledTree, ...markdownTree(text.slice(this.settledText.length, end))];
      this.settledText = text.slice(0, end);
    }
    const tail = text.slice(this.settledText.length);
    this.lastText = text;
    this.lastTree = tail.trim() === '' ? this.settledTree : [...this.settledTree, ...markdownTree(tail)];
    return this.lastTree;
  }
}
