/**
 * The fast tier's dispatcher: the real Dispatcher (id `main`) and the real web channel adapter
 * (id `local`) over a given store and in-memory runtime, started and wired together. Tests pass
 * what they vary (clock, session options, …) in `extra`.
 */
import { createWebChannel, type WebChannel } from '../../src/channels/web/index.js';
import { systemClock } from '../../src/clock.js';
import type { WebChannelConfig } from '../../src/config/schema.js';
import { Dispatcher, type DispatcherOptions } from '../../src/dispatch/dispatcher.js';
import { silentLogger } from '../../src/log.js';
import type { StateStore } from '../../src/state/types.js';
import type { FakeRuntime } from './fake-runtime.js';

/** What a fast-tier test holds: the store, the in-memory runtime, the web channel and the dispatcher. */
export interface FastTier {
  store: StateStore;
  runtime: FakeRuntime;
  web: WebChannel;
  dispatcher: Dispatcher;
}

export async function startFastDispatcher(
  store: StateStore,
  runtime: FakeRuntime,
  extra: Partial<DispatcherOptions> = {},
  webConfig: Partial<WebChannelConfig> = {},
): Promise<{ web: WebChannel; dispatcher: Dispatcher }> {
  // Late-bound as in the service: the page's session line asks the dispatcher created below.
  let created: Dispatcher | undefined;
  const web = createWebChannel(
    { id: 'local', type: 'web', listen: '127.0.0.1:0', maxTextBytes: 64 * 1024, historyLimit: 200, ...webConfig },
    { store, logger: silentLogger(), clock: systemClock, sessionInfo: (place) => created?.sessionAt(place) ?? null },
  );
  const dispatcher = new Dispatcher({
    id: 'main',
    runtime,
    store,
    channels: new Map([['local', web]]),
    queueLimit: 50,
    spillDir: '/nonexistent',
    completionLimits: { maxBytes: 1024 * 1024, spillBytes: 32 * 1024 },
    turnTimeoutMs: 60_000,
    logger: silentLogger(),
    clock: systemClock,
    ...extra,
  });
  created = dispatcher;
  await web.start((msg) => dispatcher.accept(msg));
  await dispatcher.start();
  return { web, dispatcher };
}
