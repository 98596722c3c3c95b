/**
 * Fault: the state dir full or read-only (issue 14 §10–11), through `switchboard serve` with its
 * state dir on a small tmpfs (root and `mount -t tmpfs` needed; otherwise the scenario falls back to
 * test/support/broken-state.ts — state.json replaced by a directory — and says so). While the state
 * cannot be written: messages are refused (never answered), a kill -9 of a codex child does not end
 * the service, status and /readyz say degraded. When the space (or write access) returns, everything
 * recovers by itself and resends are answered once. The line reports what the service did.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ScriptFn } from '../../src/demo/script-types.js';
import { breakStateFile } from '../support/broken-state.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { killLeftoverClis, pollUntil } from '../support/e2e-cli.js';
import { stripHeader } from '../support/service.js';
import { AnswerTracker } from './support/answers.js';
import { codexPidOf, faultService, type FaultService } from './support/fault-service.js';
import { reportFault } from './support/report.js';
import { bySize } from './support/size.js';
import { mountSmallFs, type SmallFs } from './support/small-fs.js';

const REFUSED = bySize(3, 10);
const echo: ScriptFn = (req) => ({ kind: 'reply', text: `echo: ${stripHeader(req.lastUserText)}` });

const envs: CodexTestEnv[] = [];
const mounts: SmallFs[] = [];
const services: FaultService[] = [];
afterAll(async () => {
  for (const s of services) await s.stop().catch(() => undefined);
  await killLeftoverClis();
  for (const m of mounts) m.unmount();
  await Promise.all(envs.map((e) => e.cleanup()));
});

/** How the state is made unwritable: `inject` breaks it and says how, `undo` gives it back. */
interface StorageFault {
  inject(): Promise<string>;
  undo(): Promise<void>;
}

async function runStorageFault(name: string, make: (stateDir: string, fs: SmallFs | null) => StorageFault, fs: SmallFs | null): Promise<void> {
  const env = await codexTestEnv(echo);
  envs.push(env);
  const stateDir = fs ? path.join(fs.dir, 'state') : env.stateDir;
  const s = await faultService({ env, stateDir });
  services.push(s);
  const tracker = new AnswerTracker(s, ['c0'], (m) => m.role === 'assistant' && m.text.startsWith('echo: '));
  await s.start();
  await tracker.open();
  const readyz = async (): Promise<number> => (await fetch(`${s.webUrl}/readyz`)).status;

  expect((await s.post('c0', 'warm up', 'warm')).status).toBe(202);
  await pollUntil(() => (tracker.answers('warm') > 0 ? true : undefined), 'the warm-up answer', 60_000);

  const fault = make(stateDir, fs);
  const how = await fault.inject();
  const refusedIds = Array.from({ length: REFUSED }, (_, k) => `refused-${k}`);
  const statuses: number[] = [];
  for (const [k, id] of refusedIds.entries()) {
    const res = await s.post('c0', `while broken ${k}`, id);
    statuses.push(res.status);
    if (res.status !== 202) tracker.refused.add(id);
  }
  const degradedStatus = (await s.status()).state.status;
  const readyWhileBroken = await readyz();
  // Losing a codex child while the state cannot be written must not end the service.
  const oldPid = await codexPidOf(s, 'd0');
  process.kill(oldPid, 'SIGKILL');
  const restarted = await pollUntil(
    async () => {
      const d = (await s.status()).dispatchers.find((x) => x.id === 'd0');
      return d && d.pid !== null && d.pid !== oldPid && d.status === 'ready' ? d.pid : undefined;
    },
    'a restarted codex child',
    60_000,
  ).catch(() => null);
  const upWhileBroken = s.proc !== null && s.proc.exitInfo() === null;

  await fault.undo();
  const recovered = await pollUntil(
    async () => ((await s.status()).state.status === 'ok' && (await readyz()) === 200 ? true : undefined),
    'recovery',
    60_000,
  ).then(
    () => true,
    () => false,
  );
  const resendIds = refusedIds.map((id) => `${id}-resent`);
  for (const [k, id] of resendIds.entries()) {
    const res = await s.post('c0', `resent ${k}`, id);
    if (res.status !== 202) tracker.refused.add(id);
  }
  await tracker.waitSettled(resendIds, 60_000);
  await pollUntil(async () => ((await s.status()).dispatchers.every((d) => d.queueDepth === 0) ? true : undefined), 'empty queues', 30_000).catch(
    () => undefined,
  );
  await tracker.readHistory();
  tracker.close();
  const upAtEnd = s.proc !== null && s.proc.exitInfo() === null;
  await s.stop().catch(() => undefined);

  const refused = statuses.filter((st) => st === 503).length;
  const refusedAnswered = refusedIds.filter((id) => tracker.answers(id) > 0).length;
  const resent = tracker.tally(resendIds);
  const broken: string[] = [];
  if (refused !== REFUSED) broken.push(`refused ${refused} of ${REFUSED} (statuses ${statuses.join(',')})`);
  if (refusedAnswered > 0) broken.push(`${refusedAnswered} refused messages answered anyway`);
  if (degradedStatus !== 'degraded') broken.push(`status said ${degradedStatus} while broken`);
  if (readyWhileBroken !== 503) broken.push(`/readyz ${readyWhileBroken} while broken`);
  if (!upWhileBroken || !upAtEnd) broken.push('the service exited');
  if (restarted === null) broken.push('the killed codex child was not restarted');
  if (!recovered) broken.push('no recovery');
  if (resent.once !== REFUSED) broken.push(`resends answered once ${resent.once} of ${REFUSED}`);
  reportFault(
    name,
    `${how}: ${REFUSED} messages → refused 503 ${refused}, answered anyway ${refusedAnswered}; status ${degradedStatus}, /readyz ${readyWhileBroken}; codex child kill -9 → ${restarted === null ? 'not restarted' : 'restarted'}, service ${upWhileBroken ? 'up' : 'EXITED'}; writable again → ${recovered ? 'recovered' : 'NOT recovered'}, resends answered once ${resent.once}, twice ${resent.twice}, never ${resent.never}`,
    broken,
  );
  expect(broken).toEqual([]);
}

/** state.json replaced by a directory: the fallback where no tmpfs can be mounted or remounted. */
function stateFileAsDirectory(stateDir: string, why: string): StorageFault {
  let restore: (() => Promise<void>) | undefined;
  return {
    async inject() {
      restore = (await breakStateFile(stateDir)).restore;
      return `state.json replaced by a directory (${why})`;
    },
    undo: async () => restore?.(),
  };
}

describe('fault: state dir full or read-only', () => {
  it('full: refused and never run, no crash, recovery when space returns', { timeout: 180_000 }, async () => {
    const fs = mountSmallFs(8 * 1024);
    if ('skip' in fs) {
      await runStorageFault('state-dir-full', (dir) => stateFileAsDirectory(dir, `no tmpfs: ${fs.skip}`), null);
      return;
    }
    mounts.push(fs);
    let filled = 0;
    await runStorageFault(
      'state-dir-full',
      (_dir, small) => ({
        async inject() {
          filled = small!.fill();
          return `8 MiB tmpfs filled (${filled} bytes of filler, ENOSPC)`;
        },
        async undo() {
          small!.unfill();
        },
      }),
      fs,
    );
  });

  it('read-only: refused and never run, no crash, recovery when writable again', { timeout: 180_000 }, async () => {
    const fs = mountSmallFs(8 * 1024);
    if ('skip' in fs) {
      await runStorageFault('state-dir-read-only', (dir) => stateFileAsDirectory(dir, `no tmpfs: ${fs.skip}`), null);
      return;
    }
    mounts.push(fs);
    // Codex logs stay open for writing, which makes a read-only remount busy: they get a tmpfs of their own.
    const logsMount = fs.mountInside('state/logs', 4 * 1024);
    let fallback: StorageFault | null = null;
    await runStorageFault(
      'state-dir-read-only',
      (dir, small) => ({
        async inject() {
          const err = small!.remount('ro');
          if (err === null) return `tmpfs remounted read-only (EROFS; logs/ on its own tmpfs${logsMount === null ? '' : ` — not mounted: ${logsMount}`})`;
          fallback = stateFileAsDirectory(dir, `remount,ro refused: ${err}`);
          return fallback.inject();
        },
        async undo() {
          if (fallback) return fallback.undo();
          const err = small!.remount('rw');
          if (err !== null) throw new Error(`remount,rw failed: ${err}`);
        },
      }),
      fs,
    );
  });
});
