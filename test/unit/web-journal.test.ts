/**
 * The web history journal (src/state/web-journal.ts, web-journal-format.ts) through the real
 * store on a temp dir: appends, reopen, a torn last line, compaction, migration of a v1
 * `web-<channel>.json`, and refusal of unreadable files. Files are read back with plain
 * JSON.parse of their lines, not with the journal's own replay.
 */
import { appendFile, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStateStore, StateError } from '../../src/state/open.js';
import type { StateStore, WebMessage } from '../../src/state/types.js';
import { COMPACT_FACTOR, COMPACT_SLACK_LINES } from '../../src/state/web-journal.js';
import { capturedLog, LEVEL } from '../support/captured-log.js';

let dir: string;
const open: StateStore[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sb-journal-'));
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

async function openStore(opts?: Parameters<typeof openStateStore>[1]): Promise<StateStore> {
  const store = await openStateStore(dir, opts);
  open.push(store);
  return store;
}

async function reopen(store: StateStore, opts?: Parameters<typeof openStateStore>[1]): Promise<StateStore> {
  await store.close();
  return openStore(opts);
}

function msg(n: number, text = `t${n}`): WebMessage {
  return { id: `w${n}`, role: n % 2 ? 'user' : 'assistant', text, createdAt: new Date(n * 1000).toISOString() };
}

const journal = (channel = 'local'): string => path.join(dir, `web-${channel}.jsonl`);

/** The journal's lines, parsed (the header first). */
async function lines(channel = 'local'): Promise<any[]> {
  const text = await readFile(journal(channel), 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((l) => JSON.parse(l) as unknown);
}

async function openError(): Promise<StateError> {
  const err = await openStateStore(dir).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(StateError);
  return err as StateError;
}

describe('web history journal', () => {
  it('appends one line per message without rewriting earlier bytes; a reopen replays them', async () => {
    const store = await openStore();
    await store.appendWebMessage('local', 'a', msg(1), 10);
    const first = await readFile(journal(), 'utf8');
    await Promise.all([store.appendWebMessage('local', 'b', msg(2), 10), store.appendWebMessage('local', 'a', msg(3), 10)]);
    const prompt = { ...msg(1), text: 'replaced', prompt: { title: 'T', buttons: [], status: null } };
    expect(await store.replaceWebMessage('local', 'a', 'w1', prompt)).toBe(true);
    const text = await readFile(journal(), 'utf8');
    expect(text.startsWith(first)).toBe(true);
    expect(await lines()).toEqual([
      { version: 2, channel: 'local' },
      { c: 'a', n: 10, m: msg(1) },
      { c: 'b', n: 10, m: msg(2) },
      { c: 'a', n: 10, m: msg(3) },
      { c: 'a', r: prompt },
    ]);
    expect((await stat(journal())).mode & 0o777).toBe(0o600);

    const again = await reopen(store);
    expect(again.listWebConversations('local')).toEqual(['a', 'b']);
    expect(again.listWebMessages('local', 'a')).toEqual([prompt, msg(3)]);
    expect(again.listWebMessages('local', 'b')).toEqual([msg(2)]);
    // Appending after a reopen goes on in the same file.
    await again.appendWebMessage('local', 'b', msg(4), 10);
    expect((await lines()).at(-1)).toEqual({ c: 'b', n: 10, m: msg(4) });
  });

  it('replays the limit each append named: only the newest `n` stay, also after reopen', async () => {
    const store = await openStore();
    for (let n = 1; n <= 6; n++) await store.appendWebMessage('local', 'a', msg(n), 3);
    expect(store.listWebMessages('local', 'a').map((m) => m.id)).toEqual(['w4', 'w5', 'w6']);
    // A message that fell out cannot be replaced (nothing written for it).
    expect(await store.replaceWebMessage('local', 'a', 'w1', msg(1, 'x'))).toBe(false);
    const again = await reopen(store);
    expect(again.listWebMessages('local', 'a')).toEqual([msg(4), msg(5), msg(6)]);
  });

  it('ignores a torn last line with a warning, keeps every earlier line, and rewrites the file whole', async () => {
    const store = await openStore();
    for (let n = 1; n <= 3; n++) await store.appendWebMessage('local', 'a', msg(n), 10);
    await store.close();
    // A crash in the middle of an append: the last line has no end.
    const torn = JSON.stringify({ c: 'a', n: 10, m: msg(4) }).slice(0, 25);
    await appendFile(journal(), torn);

    const log = capturedLog();
    const again = await openStore({ logger: log.logger });
    expect(again.listWebMessages('local', 'a')).toEqual([msg(1), msg(2), msg(3)]);
    const [warning] = log.find('torn last line');
    expect(warning).toMatchObject({ level: LEVEL.warn, file: journal(), line: 5, bytes: Buffer.byteLength(torn) });
    expect(await lines()).toEqual([{ version: 2, channel: 'local' }, ...[1, 2, 3].map((n) => ({ c: 'a', n: 10, m: msg(n) }))]);
    expect((await readdir(dir)).sort()).toEqual(['state.json', 'web-local.jsonl']);

    // The next append starts on a line of its own.
    await again.appendWebMessage('local', 'a', msg(5), 10);
    const third = await reopen(again, { logger: log.logger });
    expect(third.listWebMessages('local', 'a').map((m) => m.id)).toEqual(['w1', 'w2', 'w3', 'w5']);
    expect(log.find('torn last line')).toHaveLength(1);
  });

  it('compacts once the file holds more than twice the history: the newest `limit` per conversation stay, replaced ones as replaced', async () => {
    const store = await openStore();
    const limit = 20;
    const prompt = { ...msg(2), text: 'settled', prompt: { title: 'T', buttons: [], status: 'done' } };
    let maxLines = 0;
    for (let n = 0; n < 400; n++) {
      await Promise.all([store.appendWebMessage('local', 'a', msg(2 * n), limit), store.appendWebMessage('local', 'b', msg(2 * n + 1), limit)]);
      if (n === 390) expect(await store.replaceWebMessage('local', 'a', 'w780', { ...prompt, id: 'w780' })).toBe(true);
      maxLines = Math.max(maxLines, (await lines()).length);
    }
    // 2 × 20 messages kept: the file never grew past 1 header + 2 lines per message + the slack (+ the last batch).
    expect(maxLines).toBeLessThanOrEqual(1 + COMPACT_FACTOR * 2 * limit + COMPACT_SLACK_LINES + 2);
    expect(maxLines).toBeGreaterThan(2 * limit);
    // a's newest 20 are w760, w762, …, w798; w780 (the 11th) was replaced.
    const expectA = Array.from({ length: limit }, (_, i) => (i === 10 ? { ...prompt, id: 'w780' } : msg(2 * (380 + i))));
    expect(store.listWebMessages('local', 'a')).toEqual(expectA);
    const again = await reopen(store);
    expect(again.listWebMessages('local', 'a')).toEqual(expectA);
    expect(again.listWebMessages('local', 'b').map((m) => m.id)).toEqual(Array.from({ length: limit }, (_, i) => `w${2 * (380 + i) + 1}`));
    // The compacted file holds each kept message once, in order, with its conversation's limit.
    const after = (await lines()).slice(1);
    expect(after.length).toBeLessThanOrEqual(COMPACT_FACTOR * 2 * limit + COMPACT_SLACK_LINES);
    expect((await readdir(dir)).sort()).toEqual(['state.json', 'web-local.jsonl']);
  });

  it('migrates a v1 web-<channel>.json once: the journal is written, then the old file removed', async () => {
    const v1 = { version: 1, channel: 'local', conversations: { general: [msg(1), msg(2)], empty: [] } };
    await writeFile(path.join(dir, 'web-local.json'), JSON.stringify(v1));
    const log = capturedLog();
    const store = await openStore({ logger: log.logger });
    expect(store.listWebMessages('local', 'general')).toEqual([msg(1), msg(2)]);
    expect(store.listWebConversations('local')).toEqual(['general', 'empty']);
    expect((await readdir(dir)).sort()).toEqual(['state.json', 'web-local.jsonl']);
    expect(log.find('migrated to a journal')).toEqual([expect.objectContaining({ level: LEVEL.info, from: path.join(dir, 'web-local.json'), to: journal() })]);
    expect((await stat(journal())).mode & 0o777).toBe(0o600);

    // Later appends apply their limit to the migrated messages too.
    await store.appendWebMessage('local', 'general', msg(3), 2);
    const again = await reopen(store, { logger: log.logger });
    expect(again.listWebMessages('local', 'general')).toEqual([msg(2), msg(3)]);
    expect(again.listWebConversations('local')).toEqual(['general', 'empty']);
    expect(log.find('migrated to a journal')).toHaveLength(1);
  });

  it('refuses an unreadable journal with a clear error and touches no file', async () => {
    const state = path.join(dir, 'state.json');
    await writeFile(state, JSON.stringify({ version: 1, dispatchers: {}, queue: {}, seen: {}, web: {} }));
    const stateBytes = await readFile(state, 'utf8');
    const header = `${JSON.stringify({ version: 2, channel: 'local' })}\n`;
    const good = `${JSON.stringify({ c: 'a', n: 5, m: msg(1) })}\n`;
    const cases: [string, RegExp][] = [
      ['{"version": 2, \n', /\(line 1\) is not valid JSON/],
      ['', /has no complete header line/],
      [`${JSON.stringify({ version: 3, channel: 'local' })}\n`, /version 3, newer than this Switchboard supports \(2\).*upgrade Switchboard/],
      [`${JSON.stringify({ version: 2, channel: 'other' })}\n`, /belongs to channel "other", whose history journal is web-other\.jsonl/],
      [`${header}{"c":"a","n":5,"m":{"id"\n${good}`, /\(line 2\) is not valid JSON.*not the last line/],
      [`${header}${good}${JSON.stringify({ c: 'a', n: 0, m: msg(2) })}\n`, /\(line 3\) has an "m" without a positive integer "n"/],
      [`${header}${JSON.stringify({ m: msg(2) })}\n`, /\(line 2\) is not a history record/],
    ];
    for (const [bytes, why] of cases) {
      await writeFile(journal(), bytes);
      const err = await openError();
      expect(err.message).toContain(journal());
      expect(err.message).toMatch(why);
      expect(err.message).toContain('Switchboard has not modified it');
      expect(await readFile(journal(), 'utf8')).toBe(bytes);
      expect(await readFile(state, 'utf8')).toBe(stateBytes);
      expect((await readdir(dir)).sort()).toEqual(['state.json', 'web-local.jsonl']);
    }
  });

  it('a failed write keeps the message in memory and the next write puts the whole history on disk', async () => {
    const store = await openStore();
    // A directory where the new journal's temp file goes makes its first write (a rewrite) fail.
    const tmp = path.join(dir, '.web-local.jsonl.tmp');
    await mkdir(tmp);
    await expect(store.appendWebMessage('local', 'a', msg(1), 10)).rejects.toMatchObject({ name: 'StateWriteError', code: 'EISDIR' });
    expect(store.listWebMessages('local', 'a')).toEqual([msg(1)]);
    await rm(tmp, { recursive: true });
    await store.appendWebMessage('local', 'a', msg(2), 10);
    expect(await lines()).toEqual([
      { version: 2, channel: 'local' },
      { c: 'a', n: 10, m: msg(1) },
      { c: 'a', n: 10, m: msg(2) },
    ]);
    const again = await reopen(store);
    expect(again.listWebMessages('local', 'a')).toEqual([msg(1), msg(2)]);
  });
});
