/**
 * Channel adapter factory: one adapter per configured channel.
 */
import type { Clock } from '../clock.js';
import type { ChannelConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { ReadinessSource } from '../health/readiness.js';
import type { SessionInfoSource } from './session-info.js';
import type { StateStore } from '../state/types.js';
import type { ChannelAdapter } from './types.js';
import { createFeishuChannel } from './feishu/index.js';
import { createSlackChannel } from './slack/index.js';
import { createWebChannel } from './web/index.js';

export interface ChannelDeps {
  store: StateStore;
  logger: Logger;
  clock: Clock;
  /** Absolute state directory (adapters keep caches below it, e.g. Feishu downloads). */
  stateDir: string;
  /** Readiness of the service, for the web channel's `GET /readyz`. */
  readiness?: ReadinessSource;
  /** The session of a conversation, for the web console. */
  sessionInfo?: SessionInfoSource;
}

/** Creates the adapter for `config` (not started). */
export function createChannel(config: ChannelConfig, deps: ChannelDeps): ChannelAdapter {
  switch (config.type) {
    case 'web':
      return createWebChannel(config, deps);
    case 'slack':
      return createSlackChannel(config, deps);
    case 'feishu':
      return createFeishuChannel(config, deps);
  }
}
