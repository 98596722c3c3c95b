/**
 * Fault: kill -9 of the service mid-burst. N messages over several dispatchers (web channel, real
 * codex on the scripted model, `switchboard serve` as a child process) are posted in waves; while a
 * wave is queued and running the service is killed with SIGKILL and started again on the same
 * state. A POST that got no answer is sent again with the same id (as a client would). At the end
 * each message id is counted answered once / twice / never / reported failed, and every process
 * the killed services had started must be gone (orphans).
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ScriptFn } from '../../src/demo/script-types.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { killLeftoverClis, pollUntil } from '../support/e2e-cli.js';
import { stripHeader } from '../support/service.js';
import { AnswerTracker } from './support/answers.js';
import { faultService, type FaultService } from './support/fault-service.js';
import { ProcessWatch, reparentedOurs } from './support/processes.js';
import { reportFault } from './support/report.js';
import { bySize } from './support/size.js';

const MESSAGES = bySize(12, 60);
const DISPATCHERS = 3;
const KILLS = bySize(2, 3);

const echo: ScriptFn = (req) => ({ kind: 'reply', text: `echo: ${stripHeader(req.lastUserText)}`, delayMs: 150 });

let env: CodexTestEnv | undefined;
let svc: FaultService | undefined;

afterAll(async () => {
  await svc?.stop().catch(() => undefined);
  await killLeftoverClis();
  await env?.cleanup();
});

describe('fault: kill -9 of the service mid-burst', () => {
  it(`${MESSAGES} messages, ${DISPATCHERS} dispatchers, ${KILLS} kills: every message answered once, no orphans`, {
    timeout: bySize(240_000, 900_000),
  }, async () => {
    env = await codexTestEnv(echo);
    const s = await faultService({ env, dispatchers: DISPATCHERS });
    svc = s;
    const conversations = Array.from({ length: DISPATCHERS }, (_, i) => `c${i}`);
    const tracker = new AnswerTracker(s, conversations, (m) => m.role === 'assistant' && m.text.startsWith('echo: '));
    const ids = Array.from({ length: MESSAGES }, (_, k) => `m${k}`);
    const conversationOf = (k: number): string => `c${k % DISPATCHERS}`;
    const textOf = (k: number): string => `message ${k}`;
    const waves = KILLS + 1;
    const waveOf = (w: number): number[] => ids.map((_, k) => k).filter((k) => k % waves === w);

    await s.start();
    await tracker.open();
    const watch = new ProcessWatch(() => s.proc?.pid ?? null);
    let orphans = 0;
    let resent = 0;
    /** Resent POSTs answered `200 duplicate` (the message had been stored before the kill). */
    let resentDuplicates = 0;
    /** Messages posted but not yet answered when a kill came (queued, running, or still being posted). */
    let pendingAtKills = 0;

    /** Posts message k until it gets a definitive answer (a POST with no answer is retried on the next run). */
    const post = async (k: number, again = false): Promise<'answered' | 'no_answer'> => {
      const res = await s.post(conversationOf(k), textOf(k), ids[k]!);
      if (res.status === 0) return 'no_answer';
      if (again && res.body.duplicate === true) resentDuplicates++;
      if (res.status !== 202 && res.status !== 200) tracker.refused.add(ids[k]!);
      return 'answered';
    };

    let unanswered: number[] = [];
    for (let w = 0; w < waves; w++) {
      const wave = waveOf(w);
      const posts = wave.map(async (k) => ((await post(k)) === 'no_answer' ? k : null));
      if (w < KILLS) {
        // Kill while the wave is queued and running: once one of its messages was answered (even
        // waves), or as soon as the first of its messages shows in the chat, before its POST is
        // answered (odd waves: the web chat shows a message before its durable write).
        if (w % 2 === 0) await pollUntil(() => (wave.some((k) => tracker.answers(ids[k]!) > 0) ? true : undefined), `an answer in wave ${w}`, 120_000, 10);
        else {
          const waveIds = new Set(wave.map((k) => ids[k]!));
          await new Promise<void>((resolve) => {
            tracker.onLive = (m) => {
              if (m.role === 'user' && waveIds.has(m.id)) resolve();
            };
          });
          tracker.onLive = null;
        }
        pendingAtKills += wave.filter((k) => tracker.answers(ids[k]!) === 0).length;
        watch.sample();
        await s.kill9();
        const left = await watch.orphans(null);
        orphans += left.length + reparentedOurs(env.codexHome).length;
        tracker.close();
        unanswered.push(...(await Promise.all(posts)).filter((k): k is number => k !== null));
        await s.start();
        await tracker.open();
        const retry = unanswered;
        unanswered = [];
        resent += retry.length;
        for (const k of retry) if ((await post(k, true)) === 'no_answer') unanswered.push(k);
      } else {
        unanswered.push(...(await Promise.all(posts)).filter((k): k is number => k !== null));
      }
    }

    await tracker.waitSettled(ids, bySize(120_000, 300_000));
    // Nothing left queued: a second answer would have come by now.
    await pollUntil(async () => ((await s.status()).dispatchers.every((d) => d.queueDepth === 0) ? true : undefined), 'empty queues', 60_000).catch(
      () => undefined,
    );
    await tracker.readHistory();
    tracker.close();
    watch.sample();
    await s.stop();
    orphans += (await watch.orphans(null)).length + reparentedOurs(env.codexHome).length;
    watch.stop();

    const t = tracker.tally(ids);
    const broken: string[] = [];
    if (t.twice > 0) broken.push(`answered twice: ${t.twiceIds.join(', ')}`);
    if (t.never > 0) broken.push(`never answered: ${t.neverIds.join(', ')}`);
    if (t.failedThenAnswered > 0) broken.push(`${t.failedThenAnswered} reported failed yet answered`);
    if (unanswered.length > 0) broken.push(`${unanswered.length} POSTs never answered`);
    if (orphans > 0) broken.push(`${orphans} orphaned processes`);
    reportFault(
      'kill-service-mid-burst',
      `${MESSAGES} messages, ${DISPATCHERS} dispatchers, ${KILLS} kills (${pendingAtKills} unanswered at the kills, ${resent} unanswered POSTs resent, ${resentDuplicates} of them duplicates) → answered once ${t.once}, twice ${t.twice}, never ${t.never}, reported failed ${t.failed}, orphans ${orphans} (of ${watch.count} children watched)`,
      broken,
    );
    expect(broken).toEqual([]);
  });
});
