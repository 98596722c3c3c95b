/**
 * Live-answers benchmark: the time to the final answer with streaming on vs off, and the platform
 * calls a streamed answer costs, on the real service with the real codex app-server and the
 * scripted model streaming a ~10,000-token answer.
 *
 *   npm run bench:live                  # 5 measured turns per mode, after 1 warm-up each
 *   npm run bench:live -- --turns 10
 *
 * One service, one dispatcher, two web channels bound to it: `live-on` (live answers) and
 * `live-off` (`live.enabled: false`); turns alternate between them in the same run, so both see
 * the same machine state. "Final" is the SSE `message` event of the assistant's answer; the
 * calls of the live element are the SSE `live` events the page received (the web channel's
 * platform calls). Then one such turn each through Slack and Feishu (the real SDKs against the
 * local fake platforms of test/support) counts the Web / Open API calls the streamed answer made.
 * Prints the figures; exits 0 whatever they are, 1 when something crashed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { resolveBundledCodex } from '../src/codex/binary.js';
import { parseConfig } from '../src/config/load.js';
import { writeCodexHome } from '../src/demo/codex-home.js';
import { startScriptedModel } from '../src/demo/scripted-model.js';
import { silentLogger } from '../src/log.js';
import { startService } from '../src/service.js';
import { codexTestEnv } from '../test/support/codex-env.js';
import { waitFor } from '../test/support/fake-clock.js';
import { newChatId, newOpenId, startFakeFeishu } from '../test/support/fake-feishu/index.js';
import { appMention, startFakeSlack } from '../test/support/fake-slack/index.js';
import { startFeishuTestService } from '../test/support/feishu-service.js';
import { startSlackTestService } from '../test/support/slack-service.js';
import { openSse, postJson } from './http-client.js';
import { median, ms } from './stats.js';

/** ~10,000 tokens at the scripted model's 4 characters per token. */
const ANSWER_CHARS = 40_000;
/** `response.output_text.delta` events of the answer, spread over STREAM_MS. */
const DELTAS = 2_000;
const STREAM_MS = 4_000;
const TARGET_RATIO = 1.05;

function answerText(): string {
  const line = 'Streaming benchmark line with **some Markdown** and `code`, long enough to be realistic.\n';
  return line.repeat(Math.ceil(ANSWER_CHARS / line.length)).slice(0, ANSWER_CHARS);
}

function parseTurns(argv: string[]): number {
  const i = argv.indexOf('--turns');
  if (i === -1) return 5;
  const n = Number(argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--turns needs a positive integer, got ${argv[i + 1]}`);
  return n;
}

interface Sample {
  totalMs: number;
  liveEvents: number;
}

async function main(): Promise<void> {
  const turns = parseTurns(process.argv.slice(2));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sb-bench-live-'));
  const text = answerText();
  const model = await startScriptedModel({ script: () => ({ kind: 'reply', text, chunks: DELTAS, streamMs: STREAM_MS }) });
  const codexHome = path.join(dir, 'codex-home');
  await writeCodexHome(codexHome, model.url);
  const config = parseConfig(
    {
      stateDir: path.join(dir, 'state'),
      codex: { bin: resolveBundledCodex().bin, home: codexHome, sandbox: 'read-only' },
      channels: [
        { id: 'live-on', type: 'web', listen: '127.0.0.1:0' },
        { id: 'live-off', type: 'web', listen: '127.0.0.1:0', live: { enabled: false } },
      ],
      dispatchers: [
        {
          id: 'main',
          cwd: path.join(dir, 'work'),
          bindings: [
            { channel: 'live-on', conversation: '*' },
            { channel: 'live-off', conversation: '*' },
          ],
        },
      ],
    },
    { file: path.join(dir, 'switchboard.json') },
  );
  const service = await startService(config, { logger: silentLogger() });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  try {
    const urlOf = (id: string): string => {
      const url = service.channels.get(id)?.url;
      if (!url) throw new Error(`channel ${id} has no url`);
      return url;
    };
    const runTurn = async (channel: string, i: number): Promise<Sample> => {
      const base = urlOf(channel);
      const conversation = `bench-${i}`;
      const id = `bench-${randomUUID()}`;
      let liveEvents = 0;
      let resolveFinal!: (at: number) => void;
      const final = new Promise<number>((r) => (resolveFinal = r));
      const sse = await openSse(
        `${base}/api/events?conversation=${conversation}`,
        (e) => {
          if (e.event === 'live') liveEvents++;
          if (e.event !== 'message') return;
          const m = JSON.parse(e.data) as { role: string; replyTo?: string };
          if (m.role === 'assistant' && m.replyTo === id) resolveFinal(e.at);
        },
        () => {},
      );
      try {
        const start = performance.now();
        const res = await postJson(agent, `${base}/api/conversations/${conversation}/messages`, { text: `bench ${i}`, id });
        if (res.status !== 202) throw new Error(`POST answered ${res.status} ${JSON.stringify(res.body)}`);
        const at = await final;
        await service.dispatchers.get('main')!.whenIdle();
        return { totalMs: at - start, liveEvents };
      } finally {
        sse.close();
      }
    };

    const on: Sample[] = [];
    const off: Sample[] = [];
    await runTurn('live-on', -1);
    await runTurn('live-off', -2);
    for (let i = 0; i < turns; i++) {
      // Alternate which goes first, so neither mode always follows the other.
      if (i % 2 === 0) {
        on.push(await runTurn('live-on', i));
        off.push(await runTurn('live-off', i));
      } else {
        off.push(await runTurn('live-off', i));
        on.push(await runTurn('live-on', i));
      }
    }
    const medOn = median(on.map((s) => s.totalMs));
    const medOff = median(off.map((s) => s.totalMs));
    const ratio = medOn / medOff;
    console.log(
      `live answers benchmark: ${turns} turns per mode; answer ${ANSWER_CHARS} chars (~${ANSWER_CHARS / 4} tokens) in ${DELTAS} deltas over ${STREAM_MS} ms`,
    );
    console.log(
      `web chat · time to final answer, median: live on ${ms(medOn)} · live off ${ms(medOff)} · ratio ${ratio.toFixed(3)} (target ≤ ${TARGET_RATIO})`,
    );
    console.log(`web chat · live updates per turn (SSE \`live\` events): ${on.map((s) => s.liveEvents).join(', ')}`);
  } finally {
    agent.destroy();
    await service.stop();
    await model.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Counts by name, as `{"a": 2, …}`. */
function tally(names: readonly string[]): string {
  const counts: Record<string, number> = {};
  for (const n of names) counts[n] = (counts[n] ?? 0) + 1;
  return JSON.stringify(counts);
}

/** One streamed answer through the Slack adapter (HTTP mode) and the fake Slack; prints its calls. */
async function slackCalls(text: string): Promise<void> {
  const env = await codexTestEnv(() => ({ kind: 'reply', text, chunks: DELTAS, streamMs: STREAM_MS }));
  const fake = await startFakeSlack({ users: { U1: { name: 'ada' } } });
  const s = await startSlackTestService(env, fake, { mode: 'http' });
  try {
    const ts = fake.nextTs();
    const before = fake.calls.length;
    const start = performance.now();
    await s.deliver(appMention({ user: 'U1', channel: 'C1', text: '<@UBOT> stream', ts }));
    await s.waitForPosts('C1', ts, 1, 120_000);
    const took = performance.now() - start;
    await s.service.dispatchers.get('main')!.whenIdle();
    const calls = fake.calls
      .slice(before)
      .map((c) => c.method)
      .filter((m) => m !== 'users.info' && !m.startsWith('reactions.'));
    console.log(
      `slack · one streamed answer: ${calls.length} Web API calls (reactions and users.info left out) ${tally(calls)}; final answer after ${ms(took)}`,
    );
  } finally {
    await s.stop();
    await fake.close();
    await env.cleanup();
  }
}

/** One streamed answer through the Feishu adapter (long connection) and the fake Feishu; prints its calls. */
async function feishuCalls(text: string): Promise<void> {
  const env = await codexTestEnv(() => ({ kind: 'reply', text, chunks: DELTAS, streamMs: STREAM_MS }));
  const fake = await startFakeFeishu();
  const s = await startFeishuTestService(env, fake);
  try {
    const event = fake.messageReceive({ chatId: newChatId(), chatType: 'p2p', senderOpenId: newOpenId(), text: 'stream' });
    const before = fake.calls.length;
    const start = performance.now();
    await s.deliver(event);
    await waitFor(() => fake.calls.slice(before).some((c) => c.route === 'cardkit.card.settings'), 120_000, 'the card settled');
    const took = performance.now() - start;
    await s.service.dispatchers.get('main')!.whenIdle();
    const calls = fake.calls
      .slice(before)
      .map((c) => c.route)
      .filter((r) => !r.includes('reaction') && !r.includes('token'));
    console.log(`feishu · one streamed answer: ${calls.length} Open API calls (reactions and tokens left out) ${tally(calls)}; card settled after ${ms(took)}`);
  } finally {
    await s.stop();
    await fake.close();
    await env.cleanup();
  }
}

main()
  .then(() => slackCalls(answerText()))
  .then(() => feishuCalls(answerText()))
  .catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
