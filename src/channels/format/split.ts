/**
 * Splitting long chat messages into parts a platform accepts, for any adapter (Slack mrkdwn,
 * Feishu Markdown, …). Works on text whose code blocks are fenced with ``` or ~~~ (CommonMark
 * fences; Slack mrkdwn uses ``` the same way).
 *
 * Where it cuts, best first:
 * 1. between paragraphs / blocks (blank lines, or around a fenced code block);
 * 2. between lines of an over-long paragraph;
 * 3. at whitespace inside an over-long line, else anywhere (never inside a UTF-16 surrogate pair).
 * It never cuts inside a code fence unless that one fence alone is longer than the limit; then
 * each part gets its own closing fence and the next part reopens it with the original opening
 * line (language tag included), so every part renders as a complete code block.
 *
 * Lengths are UTF-16 code units (`string.length`), which is ≥ the code-point count platforms
 * usually measure, so the limit is never exceeded. Whitespace at a cut is dropped; line endings
 * are normalised to `\n`; nothing else of the content changes.
 */

/** Opening fence: up to 3 spaces, 3+ backticks or tildes, optional info string. */
const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})(.*)$/;

interface Unit {
  /** The unit's text (one paragraph or one fenced block, possibly multi-line). */
  text: string;
  /** Separator before this unit (`\n` plus blank lines) when it follows another in the same part. */
  sep: string;
  fence?: { open: string; body: string[]; close: string | null; marker: string };
}

/**
 * Splits `text` into parts of at most `limit` characters (see the module doc for where).
 * Returns `[]` for text that is empty or only whitespace.
 * @throws RangeError when `limit` is below 16 (no room for a reopened fence).
 */
export function splitMessage(text: string, limit: number): string[] {
  if (!Number.isInteger(limit) || limit < 16) throw new RangeError(`split limit must be an integer >= 16, got ${limit}`);
  const normalised = text.replace(/\r\n?/g, '\n').trim();
  if (normalised === '') return [];
  if (normalised.length <= limit) return [normalised];

  const parts: string[] = [];
  let current = '';
  const flush = (): void => {
    if (current.trim() !== '') parts.push(current);
    current = '';
  };
  for (const unit of toUnits(normalised)) {
    const joined = current === '' ? unit.text : current + unit.sep + unit.text;
    if (joined.length <= limit) {
      current = joined;
      continue;
    }
    flush();
    if (unit.text.length <= limit) {
      current = unit.text;
      continue;
    }
    const chunks = unit.fence ? splitFence(unit.fence, limit) : packPieces(unit.text.split('\n'), '\n', limit);
    // The last chunk may still share its part with what follows.
    for (const chunk of chunks.slice(0, -1)) parts.push(chunk);
    current = chunks.at(-1) ?? '';
  }
  flush();
  return parts;
}

/** Paragraphs and fenced blocks, each with the blank-line separator that preceded it. */
function toUnits(text: string): Unit[] {
  const lines = text.split('\n');
  const units: Unit[] = [];
  let pendingBlank = 0;
  let paragraph: string[] = [];
  let paragraphSep = '';
  const sepFor = (): string => (units.length === 0 && paragraph.length === 0 ? '' : '\n'.repeat(pendingBlank + 1));
  const endParagraph = (): void => {
    if (paragraph.length > 0) units.push({ text: paragraph.join('\n'), sep: paragraphSep });
    paragraph = [];
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const open = FENCE_OPEN.exec(line);
    if (open) {
      const sep = sepFor();
      endParagraph();
      const marker = open[1]!;
      const body: string[] = [];
      let close: string | null = null;
      for (i = i + 1; i < lines.length; i++) {
        const l = lines[i]!;
        if (isClosingFence(l, marker)) {
          close = l;
          break;
        }
        body.push(l);
      }
      const textOf = [line, ...body, ...(close === null ? [] : [close])].join('\n');
      units.push({ text: textOf, sep, fence: { open: line, body, close, marker } });
      pendingBlank = 0;
      continue;
    }
    if (line.trim() === '') {
      endParagraph();
      pendingBlank++;
      continue;
    }
    if (paragraph.length === 0) paragraphSep = sepFor();
    paragraph.push(line);
    pendingBlank = 0;
  }
  endParagraph();
  return units;
}

function isClosingFence(line: string, marker: string): boolean {
  const m = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(line);
  return m !== null && m[1]![0] === marker[0] && m[1]!.length >= marker.length;
}

/** One over-long fenced block → complete fenced blocks of at most `limit` characters each. */
function splitFence(fence: NonNullable<Unit['fence']>, limit: number): string[] {
  const close = fence.close ?? fence.marker;
  // Room for the body between "open\n" and "\nclose".
  const budget = limit - fence.open.length - close.length - 2;
  if (budget < 1) return packPieces([fence.open, ...fence.body, ...(fence.close === null ? [] : [fence.close])], '\n', limit);
  const bodies = packPieces(fence.body, '\n', budget, false);
  if (bodies.length === 0) bodies.push('');
  return bodies.map((body, i) => {
    const last = i === bodies.length - 1;
    const closing = last && fence.close === null ? '' : `\n${close}`;
    return `${fence.open}\n${body}${closing}`;
  });
}

/**
 * Greedily joins `pieces` with `sep` into chunks of at most `limit`; a piece longer than the limit
 * is cut at whitespace (when `atSpaces`) or hard.
 */
function packPieces(pieces: string[], sep: string, limit: number, atSpaces = true): string[] {
  const chunks: string[] = [];
  let current: string | null = null;
  for (const piece of pieces) {
    const joined: string = current === null ? piece : current + sep + piece;
    if (joined.length <= limit) {
      current = joined;
      continue;
    }
    if (current !== null) chunks.push(current);
    if (piece.length <= limit) {
      current = piece;
      continue;
    }
    const cut = atSpaces ? cutAtSpaces(piece, limit) : hardCut(piece, limit);
    for (const c of cut.slice(0, -1)) chunks.push(c);
    current = cut.at(-1) ?? null;
  }
  if (current !== null) chunks.push(current);
  return chunks;
}

/** Cuts one line at the last whitespace before the limit (dropping it), else hard. */
function cutAtSpaces(line: string, limit: number): string[] {
  const out: string[] = [];
  let rest = line;
  while (rest.length > limit) {
    const window = rest.slice(0, limit + 1);
    const space = Math.max(window.lastIndexOf(' '), window.lastIndexOf('\t'));
    if (space > 0) {
      out.push(rest.slice(0, space).trimEnd());
      rest = rest.slice(space + 1).trimStart();
    } else {
      const n = safeCut(rest, limit);
      out.push(rest.slice(0, n));
      rest = rest.slice(n);
    }
  }
  if (rest !== '') out.push(rest);
  return out;
}

/** Cuts every `limit` characters (code lines keep their exact spacing). */
function hardCut(line: string, limit: number): string[] {
  const out: string[] = [];
  let rest = line;
  while (rest.length > limit) {
    const n = safeCut(rest, limit);
    out.push(rest.slice(0, n));
    rest = rest.slice(n);
  }
  out.push(rest);
  return out;
}

/** `n`, or `n - 1` when cutting at `n` would split a surrogate pair. */
function safeCut(s: string, n: number): number {
  const code = s.charCodeAt(n - 1);
  return code >= 0xd800 && code <= 0xdbff ? n - 1 : n;
}
