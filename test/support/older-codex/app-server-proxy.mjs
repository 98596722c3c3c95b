#!/usr/bin/env node
/**
 * Stand-in for an older `codex app-server` that predates `thread/inject_items`.
 *
 * Run as `<this> app-server --listen unix://PATH [args...]` (exactly how
 * Switchboard's CodexProcess runs a codex binary). It:
 *  - starts the real native codex (env SB_REAL_CODEX) with the same args and
 *    env, but listening on a private socket next to PATH;
 *  - listens on PATH itself (WebSocket over a unix-socket HTTP server) and, per
 *    client connection, opens one connection to the real app-server and relays
 *    every message both ways unchanged;
 *  - except a client request `thread/inject_items`, which it answers itself
 *    with the error codex gives for a method it does not know (code -32600,
 *    "Invalid request: unknown variant `thread/inject_items`, ...").
 *
 * Lifetime: the wrapper exits when the real codex exits (same exit code).
 * SIGTERM/SIGINT stop the real codex (SIGTERM, SIGKILL after 1.5 s) and then
 * the wrapper ends by the same signal. The real codex runs under a small
 * `/bin/sh` guard whose stdin is a pipe from this process: when the wrapper
 * goes away for any reason, SIGKILL included, the pipe reaches EOF and the
 * guard sends SIGTERM to the real codex. (Limit: after a SIGKILL of the
 * wrapper nobody escalates to SIGKILL, so a codex that ignored SIGTERM would
 * stay; codex honours SIGTERM.)
 *
 * Optional env SB_OLDER_CODEX_RECORD: a file that receives one JSON line per
 * event (`started` with the pids, `refused`, `exited`) for tests.
 *
 * Anything other than `app-server --listen unix://...` (e.g. `--version`) is
 * passed straight to the real codex.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, rmSync } from 'node:fs';
import http from 'node:http';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import WebSocket, { WebSocketServer } from 'ws';

const REFUSED_METHOD = 'thread/inject_items';
/** A few of the methods an older app-server did know, for a realistic error text. */
const KNOWN_METHODS = ['initialize', 'thread/start', 'thread/resume', 'thread/fork', 'turn/start', 'turn/interrupt'];
const MAX_PAYLOAD = 256 * 1024 * 1024;
const KILL_AFTER_MS = 1500;

/**
 * Runs the real codex (`$1 ...`) in the background with stdin from /dev/null,
 * reports its pid on fd 3, and sends it SIGTERM as soon as our stdin reaches
 * EOF (this wrapper closed it or died). Exits with the codex's status.
 */
const GUARD = [
  'exec 4<&0',
  '"$@" </dev/null 3>&- 4<&- &',
  'c=$!',
  'echo "$c" >&3',
  'exec 3>&-',
  '{ read -r _ <&4 || :; kill -TERM "$c" 2>/dev/null; } &',
  'w=$!',
  'exec 4<&-',
  'wait "$c"',
  's=$?',
  'kill "$w" 2>/dev/null',
  'exit "$s"',
].join('\n');

const realCodex = process.env.SB_REAL_CODEX;
if (!realCodex) {
  process.stderr.write('older-codex: SB_REAL_CODEX (path of the real codex binary) is not set\n');
  process.exit(2);
}
const recordFile = process.env.SB_OLDER_CODEX_RECORD;

function record(event) {
  if (!recordFile) return;
  try {
    appendFileSync(recordFile, `${JSON.stringify({ ...event, at: Date.now() })}\n`);
  } catch {
    // Recording is best effort.
  }
}

function log(message) {
  process.stderr.write(`older-codex[${process.pid}]: ${message}\n`);
}

const args = process.argv.slice(2);
const listenAt = args.indexOf('--listen');
const listenValue = listenAt >= 0 ? args[listenAt + 1] : undefined;

if (args[0] !== 'app-server' || !listenValue?.startsWith('unix://')) {
  // Not the app-server on a socket: behave exactly like the real binary.
  const child = spawn(realCodex, args, { stdio: 'inherit' });
  child.on('error', (err) => {
    log(`cannot start ${realCodex}: ${err.message}`);
    process.exit(127);
  });
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (osConstants.signals[signal] ?? 0)));
} else {
  runProxy(listenAt);
}

function runProxy(listenArgIndex) {
  const outerSocket = listenValue.slice('unix://'.length);
  // Same directory as the socket Switchboard asked for: it removes that directory after the exit.
  const innerSocket = path.join(path.dirname(outerSocket), `inner-${path.basename(outerSocket)}`);
  const innerArgs = [...args];
  innerArgs[listenArgIndex + 1] = `unix://${innerSocket}`;

  const guard = spawn('/bin/sh', ['-c', GUARD, 'older-codex-guard', realCodex, ...innerArgs], {
    stdio: ['pipe', 'inherit', 'inherit', 'pipe'],
  });
  let innerPid = null;
  let stopSignal = null;
  let killTimer = null;
  let server = null;
  let wss = null;

  guard.stdin.on('error', () => undefined);
  let pidText = '';
  guard.stdio[3].on('data', (chunk) => {
    pidText += chunk.toString('utf8');
    const line = pidText.split('\n')[0];
    if (innerPid === null && pidText.includes('\n') && /^\d+$/.test(line)) {
      innerPid = Number(line);
      record({ event: 'started', wrapperPid: process.pid, guardPid: guard.pid, innerPid, socket: outerSocket });
      if (stopSignal) scheduleKill();
    }
  });
  guard.stdio[3].on('error', () => undefined);

  guard.on('error', (err) => {
    log(`cannot start the guard shell: ${err.message}`);
    process.exit(127);
  });

  guard.on('exit', (code, signal) => {
    if (killTimer) clearTimeout(killTimer);
    record({ event: 'exited', wrapperPid: process.pid, innerPid, code, signal, stopSignal });
    for (const client of wss?.clients ?? []) client.terminate();
    wss?.close();
    server?.close();
    rmSync(outerSocket, { force: true });
    rmSync(innerSocket, { force: true });
    if (stopSignal) {
      // End the way a real codex stopped by this signal ends.
      process.removeAllListeners(stopSignal);
      process.kill(process.pid, stopSignal);
      return;
    }
    process.exit(code ?? 128 + (osConstants.signals[signal] ?? 0));
  });

  function scheduleKill() {
    if (killTimer || innerPid === null) return;
    killTimer = setTimeout(() => {
      try {
        process.kill(innerPid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, KILL_AFTER_MS);
  }

  function stop(signal) {
    if (stopSignal) return;
    stopSignal = signal;
    server?.close();
    // Closing the guard's stdin makes it send SIGTERM to the real codex.
    guard.stdin.destroy();
    scheduleKill();
  }
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  // Listen only once the real app-server listens, so every client finds it ready.
  const waitForInner = setInterval(() => {
    if (stopSignal) return clearInterval(waitForInner);
    if (!existsSync(innerSocket)) return;
    clearInterval(waitForInner);
    listen();
  }, 15);

  function listen() {
    server = http.createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' });
      res.end('WebSocket only\n');
    });
    wss = new WebSocketServer({ server, maxPayload: MAX_PAYLOAD });
    wss.on('connection', (client, req) => relay(client, req.url ?? '/'));
    server.on('error', (err) => {
      log(`cannot listen on ${outerSocket}: ${err.message}`);
      stop('SIGTERM');
    });
    server.listen(outerSocket);
  }

  function relay(client, requestPath) {
    const upstream = new WebSocket(`ws+unix://${innerSocket}:${requestPath}`, { maxPayload: MAX_PAYLOAD });
    /** Client messages that arrived before the upstream connection opened. */
    const backlog = [];

    client.on('message', (data, isBinary) => {
      const refusal = isBinary ? null : refusalFor(data);
      if (refusal !== null) {
        if (refusal) client.send(refusal);
        return;
      }
      if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary: isBinary });
      else backlog.push({ data, isBinary });
    });
    upstream.on('open', () => {
      for (const m of backlog.splice(0)) upstream.send(m.data, { binary: m.isBinary });
    });
    upstream.on('message', (data, isBinary) => {
      if (client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
    });

    client.on('close', (code, reason) => closeSide(upstream, code, reason));
    upstream.on('close', (code, reason) => closeSide(client, code, reason));
    client.on('error', (err) => {
      log(`client connection: ${err.message}`);
      upstream.terminate();
    });
    upstream.on('error', (err) => {
      log(`app-server connection: ${err.message}`);
      client.terminate();
    });
  }

  /**
   * Null: relay the message. Otherwise the message is not forwarded and the
   * string (if not empty) is sent back: the "unknown method" error.
   */
  function refusalFor(data) {
    let msg;
    try {
      msg = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data).toString('utf8'));
    } catch {
      return null;
    }
    if (msg === null || typeof msg !== 'object' || msg.method !== REFUSED_METHOD) return null;
    record({ event: 'refused', method: msg.method, id: msg.id ?? null, wrapperPid: process.pid });
    // A notification gets no answer; codex drops what it cannot parse.
    if (msg.id === undefined) return '';
    const expected = KNOWN_METHODS.map((m) => `\`${m}\``).join(', ');
    return JSON.stringify({
      error: { code: -32600, message: `Invalid request: unknown variant \`${REFUSED_METHOD}\`, expected one of ${expected}` },
      id: msg.id,
    });
  }
}

/** Closes `ws` with the peer's close code when that code may be sent, else 1000. */
function closeSide(ws, code, reason) {
  if (ws.readyState === WebSocket.CLOSED || ws.readyState === WebSocket.CLOSING) return;
  if (ws.readyState === WebSocket.CONNECTING) return ws.terminate();
  const sendable = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
  ws.close(sendable ? code : 1000, sendable ? reason : undefined);
}
