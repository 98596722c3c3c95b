/**
 * Fault: kill -9 of a codex app-server child mid-turn, again and again. The service
 * (`switchboard serve`, real codex, scripted model) keeps running; the pid of a dispatcher's
 * app-server comes from the admin API's `GET /status` (what `switchboard status --json` shows) and
 * is killed while that dispatcher runs a turn. Every message must still be answered once, and what
 * a killed app-server had started (its MCP server, a shell) must not outlive it.
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
/** Messages posted before each kill, spread over the dispatchers. */
const PER_KILL = bySize(3, 4);

const echo: ScriptFn = (req) => ({ kind: 'reply', text: `echo: ${stripHeader(req.lastUserText)}`, delayMs: 400 });

let env: CodexTestEnv | undefined;
let svc: FaultService | undefined;

afterAll(async () => {
  await svc?.stop().catch(() => undefined);
  await killLeftoverClis();
  await env?.cleanup();
});

interface TurnStatus {
  id: string;
  pid: number | null;
  status: string;
  runningTurnAgeMs: number | null;
}

describe('fault: kill -9 of a codex child mid-turn', () => {
  it(`${KILLS} kills of app-servers mid-turn: every message answered once, no orphans`, { timeout: bySize(180_000, 600_000) }, async () => {
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

    for (let kill = 0; kill < KILLS; kill++) {
      const target = `d${kill % DISPATCHERS}`;
      for (let j = 0; j < PER_KILL; j++) {
        const k = next++;
        const id = `m${k}`;
        ids.push(id);
        const res = await s.post(`c${k % DISPATCHERS}`, `message ${k}`, id);
        if (res.status !== 202) tracker.refused.add(id);
      }
      const victim = await pollUntil(
        async () => {
          const d = ((await s.status()).dispatchers as TurnStatus[]).find((x) => x.id === target);
          return d && d.status === 'ready' && d.pid !== null && d.runningTurnAgeMs !== null ? d.pid : undefined;
        },
        `a turn running on ${target}`,
        60_000,
        20,
      );
      watch.sample();
      process.kill(victim, 'SIGKILL');
      killedMidTurn++;
      // Its children die with it; the service itself stays up.
      orphans += (await watch.orphans(s.proc!.pid)).length;
    }

    const settled = (): boolean => ids.every((id) => tracker.answers(id) > 0 || tracker.toldFailed(id));
    await pollUntil(() => (settled() ? true : undefined), 'every message answered or reported failed', bySize(120_000, 300_000), 100).catch(() => undefined);
    await pollUntil(async () => ((await s.status()).dispatchers.every((d) => d.queueDepth === 0) ? true : undefined), 'empty queues', 60_000).catch(
      () => undefined,
    );
    await tracker.readHistory();
    const serviceUp = s.proc !== null && s.proc.exitInfo() === null;
    const st = (await s.status()).dispatchers as TurnStatus[];
    tracker.close();
    watch.sample();
    await s.stop();
    orphans += (await watch.orphans(null)).length + reparentedOurs(env.codexHome).length;
    watch.stop();

    const t = tracker.tally(ids);
    const broken: string[] = [];
    if (!serviceUp) broken.push('the service exited');
    if (t.twice > 0) broken.push(`answered twice: ${t.twiceIds.join(', ')}`);
    if (t.never > 0) broken.push(`never answered: ${t.neverIds.join(', ')}`);
    if (t.failed > 0) broken.push(`${t.failed} reported failed`);
    if (orphans > 0) broken.push(`${orphans} orphaned processes`);
    reportFault(
      'kill-codex-mid-turn',
      `${ids.length} messages, ${DISPATCHERS} dispatchers, ${killedMidTurn} app-server kills mid-turn → answered once ${t.once}, twice ${t.twice}, never ${t.never}, reported failed ${t.failed}, orphans ${orphans}, runtimes after: ${st.map((d) => `${d.id} ${d.status}`).join(', ')}`,
      broken,
    );
    expect(broken).toEqual([]);
  });
});
