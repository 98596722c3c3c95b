/**
 * The scripted model as a child process of a bench (./bench-env.ts): in production the model is
 * remote, so its HTTP and JSON work must not share the measured service's event loop (profiled
 * in-process during the burst, the model's share was about 12 s of the service process's CPU).
 *
 *   node --import tsx bench/model-server.ts '<ScriptStep as JSON>'   (forked, with an IPC channel)
 *
 * Sends `{url}` once listening; answers `'count'` with `{requests}` (requests served so far);
 * closes and exits 0 on `'close'` or when the parent goes away.
 */
import type { ScriptStep } from '../src/demo/script-types.js';
import { startScriptedModel } from '../src/demo/scripted-model.js';
import { silentLogger } from '../src/log.js';

/** What the child sends its parent. */
export type ModelServerMessage = { url: string } | { requests: number };

async function main(step: ScriptStep): Promise<void> {
  const model = await startScriptedModel({ logger: silentLogger(), script: () => step });
  const close = async (): Promise<void> => {
    await model.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('message', (m: unknown) => {
    if (m === 'count') process.send?.({ requests: model.requests.length } satisfies ModelServerMessage);
    else if (m === 'close') void close();
  });
  process.on('disconnect', () => void close());
  process.send?.({ url: model.url } satisfies ModelServerMessage);
}

main(JSON.parse(process.argv[2] ?? '{}') as ScriptStep).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
