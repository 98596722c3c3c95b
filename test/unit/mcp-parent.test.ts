/**
 * Switchboard's MCP server never outlives its parent (issue 14 §9): when the process that started
 * it dies while another process still holds its stdin open (so no end of input arrives), it sees
 * its parent change and exits. Runs the built server (dist/mcp/server.js) under a shell parent.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAlive, pollUntil, REPO_ROOT } from '../support/e2e-cli.js';

const SERVER = path.join(REPO_ROOT, 'dist', 'mcp', 'server.js');

describe('MCP server parent watch', () => {
  it.runIf(process.platform === 'linux' && existsSync('/bin/bash'))('exits when its parent dies though its stdin stays open', async () => {
    expect(existsSync(SERVER), 'run `npm run build` first').toBe(true);
    // `sleep 60` holds the write end of the server's stdin; the subshell `( … )` starts the server
    // on it, prints the server's pid and exits a second later (once the server runs), so the server
    // loses its parent but not its input.
    const server = `"${process.execPath}" "${SERVER}" --socket /nonexistent/admin.sock --role dispatcher --caller main`;
    const script = `sleep 60 | ( exec 3<&0; ${server} <&3 & echo $!; sleep 1 )`;
    const shell = spawn('/bin/bash', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    let out = '';
    shell.stdout.on('data', (c: Buffer) => (out += c.toString()));
    try {
      const pid = await pollUntil(() => (/^\d+\n/.test(out) ? Number(out.trim()) : undefined), 'the server pid');
      await pollUntil(() => (isAlive(pid) ? undefined : true), `MCP server ${pid} to exit after its parent died`, 10_000);
    } finally {
      process.kill(-shell.pid!, 'SIGKILL');
    }
  });
});
