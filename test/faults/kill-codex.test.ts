/**
 * Fault: kill -9 of a codex app-server child mid-turn, again and again. The service
 * (`switchboard serve`, real codex, scripted model) keeps running; the pid of a dispatcher's
 * app-server comes from the admin API's `GET /status` (what `switchboard status --json` shows) and
 * is killed while the model works on a message's turn. A turn cut by a lost runtime is run again
 * once (README: How it works), so each message's turn is killed at most once: every one must still
 * be answered once. At full size some turns are also killed twice (their re-run too): those must be
 * reported failed and never answered. What a killed app-server had started (its MCP server, a
 * shell) must not outlive it.
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

const DISPATCHERS = 2;
const KILLS = bySize(2, 8);
/** Turns killed twice (the re-run too): reported failed, never answered. */
const DOUBLE_KILLS = bySize(0, 2);
/** Messages posted before each kill, spread over the dispatchers. */
const PER_KILL = bySize(3, 4);

/**
 * Message number → sequence number of its model request in flight now (the script holds each for
 * 400 ms). A request cut by a kill stays here until its 400 ms are up; the sequence number tells a
 * re-run's request from it.
 */
const inFlight = new Map<number, number>();
let requests = 0;
const echo: ScriptFn = async (req) => {
  const text = stripHeader(req.lastUserText);
  const k = Number(/^message (\d+)$/.exec(text)?.[1] ?? -1);
  const seq = ++requests;
  inFlight.set(k, seq);
  await new Promise((r) => setTimeout(r, 400)); // the model's latency: the window a kill lands in
  if (inFlight.get(k) === seq) inFlight.delete(k);
  return { kind: 'reply', text: `echo: ${text}` };
};

let env: CodexTestEnv | undefined;
let svc: FaultService | undefined;

afterAll(async () => {
  await svc?.stop().catch(() => undefined);
  await killLeftoverClis();
  await env?.cleanup();
});

describe('fault: kill -9 of a codex child mid-turn', () => {
  it(`${KILLS} turns killed once mid-turn${DOUBLE_KILLS ? `, ${DOUBLE_KILLS} twice` : ''}: answered once (killed twice: reported failed), no orphans`, {
    timeout: bySize(180_000, 600_000),
  }, async () => {
    env = await codexTestEnv(echo);
    const s = await faultService({ env, dispatchers: DISPATCHERS });
    svc = s;
    const conversations = Array.from({ length: DISPATCHERS }, (_, i) => `c${i}`);
    const tracker = new AnswerTracker(s, conversations, (m) => m.role === 'assistant' && m.text.startsWith('echo: '));
    await s.start();
    await tracker.open();
    const watch = new ProcessWatch(() => s.proc?.pid ?? null);
    const ids: string[] = [];
    let next = 0;
    let killedMidTurn = 0;
    let orphans = 0;

    /**
     * Kills dispatcher `target`'s app-server while the model works on a message `pick` accepts (given
     * the message and its request's sequence number); returns that message and sequence number.
     */
    const killMidTurn = async (target: number, pick: (k: number, seq: number) => boolean): Promise<{ k: number; seq: number }> => {
      const victim = await pollUntil(
        async () => {
          const hit = [...inFlight].find(([m, seq]) => m % DISPATCHERS === target && pick(m, seq));
          if (hit === undefined) return undefined;
          const [k, seq] = hit;
          const d = (await s.status()).dispatchers.find((x) => x.id === `d${target}`);
          return d && d.pid !== null && d.runningTurnAgeMs !== null && inFlight.get(k) === seq ? { k, seq, pid: d.pid } : undefined;
        },
        `a turn running on d${target}`,
        60_000,
        10,
      );
      watch.sample();
      process.kill(victim.pid, 'SIGKILL');
      killedMidTurn++;
      // Its children die with it; the service itself stays up.
      orphans += (await watch.orphans(s.proc!.pid)).length;
      return { k: victim.k, seq: victim.seq };
    };
    const postMessage = async (): Promise<void> => {
      const k = next++;
      const id = `m${k}`;
      ids.push(id);
      const res = await s.post(`c${k % DISPATCHERS}`, `message ${k}`, id);
      if (res.status !== 202) tracker.refused.add(id);
    };
    const killedOnce = new Set<number>();
    const killedTwice = new Set<number>();

    for (let kill = 0; kill < KILLS + DOUBLE_KILLS; kill++) {
      const target = kill % DISPATCHERS;
      for (let j = 0; j < PER_KILL; j++) await postMessage();
      const first = await killMidTurn(target, (m) => !killedOnce.has(m));
      killedOnce.add(first.k);
      if (kill >= KILLS) {
        // Kill its re-run too: a later request for the same message.
        await killMidTurn(target, (m, seq) => m === first.k && seq > first.seq);
        killedTwice.add(first.k);
      }
    }

    await tracker.waitSettled(ids, bySize(120_000, 300_000));
    await pollUntil(async () => ((await s.status()).dispatchers.every((d) => d.queueDepth === 0) ? true : undefined), 'empty queues', 60_000).catch(
      () => undefined,
    );
    await tracker.readHistory();
    const serviceUp = s.proc !== null && s.proc.exitInfo() === null;
    const st = (await s.status()).dispatchers;
    tracker.close();
    watch.sample();
    await s.stop();
    orphans += (await watch.orphans(null)).length + reparentedOurs(env.codexHome).length;
    watch.stop();

    const twiceIds = new Set([...killedTwice].map((k) => `m${k}`));
    const onceIds = ids.filter((id) => !twiceIds.has(id));
    const t = tracker.tally(onceIds);
    const d = tracker.tally([...twiceIds]);
    const broken: string[] = [];
    if (d.failed !== twiceIds.size || d.once + d.twice > 0)
      broken.push(`turns killed twice: reported failed ${d.failed} of ${twiceIds.size}, answered ${d.once + d.twice}`);
    if (!serviceUp) broken.push('the service exited');
    if (t.twice > 0) broken.push(`answered twice: ${t.twiceIds.join(', ')}`);
    if (t.never > 0) broken.push(`never answered: ${t.neverIds.join(', ')}`);
    if (t.failed > 0) {
      const told = onceIds.filter((id) => tracker.toldFailed(id)).map((id) => `${id}: ${tracker.notices(id).join(' / ') || 'refused at POST'}`);
      broken.push(`${t.failed} reported failed (${told.join('; ')})`);
    }
    if (orphans > 0) broken.push(`${orphans} orphaned processes`);
    reportFault(
      'kill-codex-mid-turn',
      `${ids.length} messages, ${DISPATCHERS} dispatchers, ${killedMidTurn} app-server kills mid-turn (${killedOnce.size - killedTwice.size} turns killed once, ${killedTwice.size} twice) → killed once or never: answered once ${t.once}, twice ${t.twice}, never ${t.never}, reported failed ${t.failed}; killed twice: reported failed ${d.failed}, answered ${d.once + d.twice}; orphans ${orphans}, runtimes after: ${st.map((x) => `${x.id} ${x.status}`).join(', ')}`,
      broken,
    );
    expect(broken).toEqual([]);
  });
});
