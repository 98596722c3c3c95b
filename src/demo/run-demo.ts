/**
 * `switchboard demo`: the whole round trip with no account. Codex is pointed
 * at the bundled scripted Responses endpoint on loopback (its replies say they
 * are scripted); the local web chat is bound to one dispatcher.
 */
import { randomBytes } from 'node:crypto';
import { isLoopbackHost } from '../http/loopback.js';
import path from 'node:path';
import { parseConfig } from '../config/load.js';
import type { Logger } from '../log.js';
import { startService, type Service } from '../service.js';
import { writeCodexHome } from './codex-home.js';
import { startScriptedModel, type ScriptedModel } from './scripted-model.js';

export interface DemoOptions {
  /** Web chat port; 0 = a free one. */
  port: number;
  host: string;
  /** State dir of the demo (thread ids, queue, codex home). */
  stateDir: string;
  logger: Logger;
}

export interface Demo {
  service: Service;
  model: ScriptedModel;
  /** URL of the local web chat. */
  url: string;
  /**
   * What to open in a browser: `url`, plus `/?token=…` when the demo listens off loopback and so
   * needs its access token ($SWITCHBOARD_WEB_TOKEN, else a fresh random one per start).
   */
  openUrl: string;
  stop(): Promise<void>;
}

/** Environment variable with the demo's web chat access token when it listens off loopback. */
export const WEB_TOKEN_ENV = 'SWITCHBOARD_WEB_TOKEN';

/** Starts the scripted model and a service wired to it. */
export async function startDemo(opts: DemoOptions): Promise<Demo> {
  const stateDir = path.resolve(opts.stateDir);
  const model = await startScriptedModel({ logger: opts.logger });
  try {
    const codexHome = path.join(stateDir, 'codex-home');
    const token = isLoopbackHost(opts.host) ? null : process.env[WEB_TOKEN_ENV] || randomBytes(24).toString('hex');
    await writeCodexHome(codexHome, model.url);
    const config = parseConfig(
      {
        stateDir,
        // `on-request`: commands run in the read-only sandbox without asking; `demo: approval` asks to leave it.
        codex: { home: codexHome, sandbox: 'read-only', approvalPolicy: 'on-request' },
        channels: [{ id: 'local', type: 'web', listen: `${opts.host}:${opts.port}`, ...(token ? { auth: { token } } : {}) }],
        dispatchers: [{ id: 'main', cwd: path.join(stateDir, 'workspace'), bindings: [{ channel: 'local' }] }],
      },
      { file: '<demo>' },
    );
    const service = await startService(config, { logger: opts.logger });
    const url = service.channels.get('local')?.url ?? `http://${opts.host}:${opts.port}`;
    return {
      service,
      model,
      url,
      openUrl: token ? `${url}/?token=${encodeURIComponent(token)}` : url,
      stop: async () => {
        await service.stop();
        await model.close();
      },
    };
  } catch (err) {
    await model.close();
    throw err;
  }
}
