/**
 * No orphaned children (issue 14 §9), through the built CLI with the real codex app-server: the
 * codex children die with a `kill -9`ed service; a killed codex child is replaced; a start reaps
 * the children a previous run recorded in `children.json` (verified by command line) and removes
 * their socket dirs. No codex child starts an MCP server process (the service serves the teammate
 * tools itself, issue 15 §2).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHILDREN_FILE } from '../../src/codex/child-registry.js';
import { childPids, commandLine, isAlive, killLeftoverClis, pollUntil, startDemoCli, type DemoCli } from '../support/e2e-cli.js';
import { cleanupTempDirs, makeTempDir } from '../support/temp.js';

const dummies = new Set<ChildProcess>();

afterAll(async () => {
  for (const d of dummies) d.kill('SIGKILL');
  await killLeftoverClis();
  await cleanupTempDirs();
});

/** The service's codex app-server children and any stdio MCP servers those started (read from /proc). */
function serviceTree(servicePid: number): { codex: number[]; mcp: number[] } {
  const codex = childPids(servicePid).filter((p) => /codex.*app-server/.test(commandLine(p)));
  const mcp = codex.flatMap((p) => childPids(p)).filter((p) => commandLine(p).includes(path.join('mcp', 'server.js')));
  return { codex, mcp };
}

function describePids(pids: number[]): string {
  return pids.map((p) => `${p}: ${commandLine(p) || '(gone)'}`).join('; ');
}

/** Socket dir of a codex child, from the `unix://<dir>/app-server.sock` in its command line. */
function socketDirOf(pid: number): string {
  const m = /unix:\/\/(\S+)\/app-server\.sock/.exec(commandLine(pid));
  if (!m?.[1]) throw new Error(`no listen address in ${commandLine(pid)}`);
  return m[1];
}

async function startDemoTree(stateDir: string): Promise<{ demo: DemoCli; codex: number[] }> {
  const demo = await startDemoCli(stateDir, 40_000);
  // Ready waits for the MCP endpoint's startup on the thread, so the whole tree is up by now.
  const tree = serviceTree(demo.proc.pid);
  expect(tree.codex, describePids(childPids(demo.proc.pid))).toHaveLength(1);
  expect(tree.mcp, describePids(tree.codex.flatMap(childPids))).toEqual([]);
  return { demo, codex: tree.codex };
}

/** A long-running dummy process with `args` on its command line (and, with `withChild`, a child of its own). */
function spawnDummy(args: string[], withChild = false): ChildProcess {
  const child = withChild ? "require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e9)'], { stdio: 'ignore' });" : '';
  const p = spawn(process.execPath, ['-e', `${child} setInterval(() => {}, 1e9);`, '--', ...args], { stdio: 'ignore' });
  dummies.add(p);
  return p;
}

/** Pid of a process that has exited (so it is not alive when the record is read). */
async function deadPid(): Promise<number> {
  const p = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((r) => p.once('exit', r));
  return p.pid!;
}

describe('children die with the service (issue 14 §9)', () => {
  it('kill -9 of the service ends its codex children; the next start removes the stale socket dir', async () => {
    const stateDir = path.join(makeTempDir('sb-orphans-'), 'state');
    const { demo, codex } = await startDemoTree(stateDir);
    const socketDir = socketDirOf(codex[0]!);
    const recorded = JSON.parse(readFileSync(path.join(stateDir, CHILDREN_FILE), 'utf8')) as { children: { pid: number; socketDir: string }[] };
    expect(recorded.children).toEqual([expect.objectContaining({ pid: codex[0], socketDir })]);

    process.kill(demo.proc.pid, 'SIGKILL');
    await demo.proc.exited;
    const all = [...codex, ...codex.flatMap(childPids)];
    await pollUntil(() => (all.some(isAlive) ? undefined : true), `the children of the killed service to exit (${describePids(all.filter(isAlive))})`, 10_000);

    // The killed run could not remove its socket dir; the next start does.
    expect(existsSync(socketDir)).toBe(true);
    const next = await startDemoCli(stateDir, 40_000);
    expect(existsSync(socketDir)).toBe(false);
    const exit = await next.proc.stop();
    expect(exit, next.proc.output()).toEqual({ code: 0, signal: null });
  });

  it('kill -9 of a codex child: the runtime starts a new one, still without an MCP server process', async () => {
    const stateDir = path.join(makeTempDir('sb-orphans-'), 'state');
    const { demo, codex } = await startDemoTree(stateDir);
    process.kill(codex[0]!, 'SIGKILL');
    const again = await pollUntil(() => {
      const t = serviceTree(demo.proc.pid);
      return t.codex.length === 1 && t.codex[0] !== codex[0] ? t : undefined;
    }, 'a restarted codex child');
    expect(again.mcp).toEqual([]);
    const exit = await demo.proc.stop();
    expect(exit, demo.proc.output()).toEqual({ code: 0, signal: null });
    await pollUntil(() => (again.codex.some(isAlive) ? undefined : true), 'the children to exit on SIGTERM');
  });

  it('a start reaps the children a previous run recorded (checked by command line) and removes their socket dirs', async () => {
    const stateDir = path.join(makeTempDir('sb-orphans-'), 'state');
    const sockDir = mkdtempSync(path.join(os.tmpdir(), 'sbx-'));
    const otherDir = mkdtempSync(path.join(os.tmpdir(), 'sbx-'));
    const marker = `unix://${sockDir}/app-server.sock`;
    // A "leftover codex" with an "MCP server" child, and an unrelated process that got a recorded pid.
    const leftover = spawnDummy(['app-server', '--listen', marker], true);
    const unrelated = spawnDummy(['something-else']);
    const leftoverChild = await pollUntil(() => childPids(leftover.pid!)[0], 'the dummy leftover to start its child');
    const owner = { pid: await deadPid(), startTime: null };
    const record = (pid: number, m: string, socketDir: string) => ({ pid, startTime: null, marker: m, socketDir, owner, spawnedAt: Date.now() });
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(
      path.join(stateDir, CHILDREN_FILE),
      JSON.stringify({
        version: 1,
        children: [record(leftover.pid!, marker, sockDir), record(unrelated.pid!, `unix://${otherDir}/app-server.sock`, otherDir)],
      }),
    );

    const demo = await startDemoCli(stateDir, 40_000);
    await pollUntil(() => ([leftover.pid!, leftoverChild].some(isAlive) ? undefined : true), 'the recorded leftover and its child to be reaped');
    expect(isAlive(unrelated.pid!)).toBe(true);
    expect(existsSync(sockDir)).toBe(false);
    expect(existsSync(otherDir)).toBe(false); // its recorded child is dead; the pid's new owner keeps running
    const reapLines = demo.proc.lines.filter((l) => l.msg === 'reaped a codex child left running by a previous run');
    expect(reapLines.map((l) => l.pid)).toEqual([leftover.pid]);
    expect(reapLines[0]).toMatchObject({ descendants: [leftoverChild] });

    // The file now lists only this run's child.
    const now = JSON.parse(readFileSync(path.join(stateDir, CHILDREN_FILE), 'utf8')) as { children: { pid: number; owner: { pid: number } }[] };
    expect(now.children.map((c) => c.owner.pid)).toEqual([demo.proc.pid]);
    const exit = await demo.proc.stop();
    expect(exit, demo.proc.output()).toEqual({ code: 0, signal: null });
  });
});
