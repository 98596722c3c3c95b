/**
 * Fault: corrupt and malformed state left by a previous run, through `switchboard serve`.
 *  - A state.json that is not a usable state (truncated, garbage, …): the service refuses to start
 *    with an error naming the file, and the file is left as it was (nothing lost).
 *  - A state.json of valid shape with malformed queue entries between good ones: each bad entry is
 *    quarantined (status counts it, its conversation is told), the good ones are answered once,
 *    and later messages too.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ScriptFn } from '../../src/demo/script-types.js';
import { STATE_VERSION, type QueuedMessage } from '../../src/state/types.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { killLeftoverClis } from '../support/e2e-cli.js';
import { stripHeader } from '../support/service.js';
import { AnswerTracker } from './support/answers.js';
import { faultService } from './support/fault-service.js';
import { reportFault } from './support/report.js';
import { bySize } from './support/size.js';

const echo: ScriptFn = (req) => ({ kind: 'reply', text: `echo: ${stripHeader(req.lastUserText)}` });

const envs: CodexTestEnv[] = [];
afterAll(async () => {
  await killLeftoverClis();
  await Promise.all(envs.map((e) => e.cleanup()));
});

async function freshEnv(): Promise<CodexTestEnv> {
  const env = await codexTestEnv(echo);
  envs.push(env);
  return env;
}

const goodState = JSON.stringify({ version: STATE_VERSION, dispatchers: {}, queue: {}, seen: {}, web: {} }, null, 2);
const ALL_CORRUPTIONS: Record<string, string | Buffer> = {
  truncated: goodState.slice(0, Math.floor(goodState.length / 2)),
  garbage: Buffer.from([0x00, 0xff, 0x13, 0x37, 0x7b, 0x22, 0xfe, 0x0a, 0x9c]),
  empty: '',
  'not an object': 'null',
  'other version': JSON.stringify({ version: 999, dispatchers: {}, queue: {}, seen: {}, web: {} }),
};
const CORRUPTIONS = bySize(['truncated', 'garbage'], Object.keys(ALL_CORRUPTIONS));

describe('fault: corrupt and malformed state', () => {
  it(`a corrupt state.json (${CORRUPTIONS.join(', ')}) is refused at start with a clear error and left untouched`, { timeout: 120_000 }, async () => {
    const outcomes: string[] = [];
    const broken: string[] = [];
    for (const name of CORRUPTIONS) {
      const env = await freshEnv();
      const file = path.join(env.stateDir, 'state.json');
      const content = ALL_CORRUPTIONS[name]!;
      writeFileSync(file, content);
      const svc = await faultService({ env });
      const started = await svc.start().then(
        () => true,
        () => false,
      );
      const proc = svc.runs[0]!;
      if (started) {
        await svc.stop();
        outcomes.push(`${name}: started`);
        broken.push(`${name}: started on a corrupt state`);
        continue;
      }
      const exit = await proc.exited;
      const out = proc.output();
      const named = out.includes('state.json');
      const untouched = Buffer.compare(readFileSync(file), Buffer.from(content)) === 0;
      outcomes.push(`${name}: refused (exit ${exit.code}${named ? ', names state.json' : ''}${untouched ? ', file untouched' : ', FILE CHANGED'})`);
      if (exit.code === 0 || exit.code === null) broken.push(`${name}: exit ${exit.code}`);
      if (!named) broken.push(`${name}: the error does not name state.json`);
      if (!untouched) broken.push(`${name}: the file was changed`);
      if (/^\s+at /m.test(proc.stderr())) broken.push(`${name}: a stack trace instead of a clear error`);
    }
    reportFault('corrupt-state', `${CORRUPTIONS.length} corrupt state files → ${outcomes.join('; ')}`, broken);
    expect(broken).toEqual([]);
  });

  const DISPATCHERS = bySize(1, 3);
  const GOOD_PER = bySize(2, 3);
  it(`malformed queue entries between good ones on ${DISPATCHERS} dispatcher(s): quarantined, the others answered`, { timeout: 180_000 }, async () => {
    const env = await freshEnv();
    const queued = (d: number, n: number): QueuedMessage => ({
      id: `q${d}-${n}`,
      dedupKey: `web:c${d}:m${d}-${n}`,
      kind: 'message',
      address: { channelId: 'web', conversation: `c${d}`, messageId: `m${d}-${n}` },
      sender: { id: 'u1', name: 'Ann' },
      text: `queued ${d}-${n}`,
      acceptedAt: Date.now() - 60_000 + n,
      attempts: 0,
    });
    /** Ways an entry can be malformed; one per bad entry, in turn. */
    const spoil: ((q: QueuedMessage) => Record<string, unknown>)[] = [
      ({ sender: _s, ...rest }) => rest,
      (q) => ({ ...q, text: 42 }),
      (q) => ({ ...q, attempts: 'many' }),
    ];
    const queue: Record<string, unknown[]> = {};
    const seen: Record<string, string[]> = {};
    const goodIds: string[] = [];
    let bad = 0;
    for (let d = 0; d < DISPATCHERS; d++) {
      const entries: unknown[] = [];
      for (let n = 0; n < GOOD_PER; n++) {
        entries.push(queued(d, n * 2));
        goodIds.push(`m${d}-${n * 2}`);
        if (n < GOOD_PER - 1) entries.push(spoil[bad++ % spoil.length]!(queued(d, n * 2 + 1)));
      }
      queue[`d${d}`] = entries;
      seen[`d${d}`] = entries.map((e) => (e as { dedupKey: string }).dedupKey);
    }
    writeFileSync(path.join(env.stateDir, 'state.json'), JSON.stringify({ version: STATE_VERSION, dispatchers: {}, queue, seen, web: {} }));

    const svc = await faultService({ env, dispatchers: DISPATCHERS });
    const conversations = Array.from({ length: DISPATCHERS }, (_, i) => `c${i}`);
    const tracker = new AnswerTracker(svc, conversations, (m) => m.role === 'assistant' && m.text.startsWith('echo: '));
    await svc.start();
    await tracker.open();
    const later = conversations.map((_c, d) => `later-${d}`);
    for (const [d, id] of later.entries()) {
      const res = await svc.post(conversations[d]!, `later ${d}`, id);
      if (res.status !== 202) tracker.refused.add(id);
    }
    const all = [...goodIds, ...later];
    await tracker.waitSettled(all, 90_000);
    await tracker.readHistory();
    const quarantined = (await svc.status()).quarantined;
    let notices = 0;
    for (const c of conversations) notices += (await svc.messages(c)).filter((m) => m.text.startsWith('⚠️ A message could not be processed')).length;
    tracker.close();
    await svc.stop();

    const t = tracker.tally(all);
    const broken: string[] = [];
    if (quarantined !== bad) broken.push(`${quarantined} quarantined of ${bad} malformed`);
    if (notices !== bad) broken.push(`${notices} notices for ${bad} malformed entries`);
    if (t.once !== all.length) broken.push(`answered once ${t.once} of ${all.length} (never: ${t.neverIds.join(', ')}; twice: ${t.twiceIds.join(', ')})`);
    reportFault(
      'malformed-state-entries',
      `${goodIds.length} good + ${bad} malformed queue entries on ${DISPATCHERS} dispatcher(s), ${later.length} later messages → quarantined ${quarantined}, notices ${notices}, answered once ${t.once}, twice ${t.twice}, never ${t.never}`,
      broken,
    );
    expect(broken).toEqual([]);
  });
});
