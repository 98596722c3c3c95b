/**
 * Helpers for rewriting Markdown line by line outside fenced code blocks
 * (CommonMark fences: ``` or ~~~, up to three spaces of indent; a fence closes
 * on a line of the same character at least as long).
 */

const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/**
 * Maps every line outside fenced code blocks through `fn`; fence lines and
 * lines inside fences are kept as they are. Line endings are not changed.
 */
export function mapOutsideFences(markdown: string, fn: (line: string) => string): string {
  let fence: string | null = null;
  return markdown
    .split('\n')
    .map((line) => {
      const m = FENCE.exec(line);
      if (fence !== null) {
        if (m && m[1]![0] === fence[0] && m[1]!.length >= fence.length && line.trim() === m[1]) fence = null;
        return line;
      }
      if (m) {
        fence = m[1]!;
        return line;
      }
      return fn(line);
    })
    .join('\n');
}
