/**
 * Finds the admin socket of the service the user is running, for `status` and the other admin
 * commands.
 *
 * - `--socket S` wins, then `--config F` (that config's `adminSocket` or `<stateDir>/admin.sock`).
 * - With neither, the candidates are tried in order and the first one with a listener wins:
 *   `$SWITCHBOARD_STATE_DIR/admin.sock`, the default config's socket (`npm start`), and the
 *   demo's `./.switchboard-demo/admin.sock` (`npm run demo`).
 * - When none answers, {@link ServiceNotRunningError} names every path tried and the flag to pass.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ServiceNotRunningError } from '../admin/client.js';
import { isLive } from '../admin/server.js';
import { loadConfig, stateDirFromEnv } from '../config/load.js';
import { adminSocketPath } from '../service.js';

/** Default state dir of `switchboard demo` when `$SWITCHBOARD_STATE_DIR` is unset, relative to the working directory. */
export const DEMO_STATE_DIR = './.switchboard-demo';

/**
 * The admin socket to talk to (absolute path).
 * @param opts.config an explicit `--config` file; `defaultConfig` is only tried when it is absent.
 * @throws ConfigError for an explicit config that does not load; ServiceNotRunningError when no
 *   candidate has a listener (only in discovery mode; an explicit path is returned as is).
 */
export async function findAdminSocket(opts: { socket?: string; config?: string; defaultConfig: string }): Promise<string> {
  if (opts.socket) return path.resolve(opts.socket);
  if (opts.config) return path.resolve(adminSocketPath((await loadConfig(opts.config)).config));
  const candidates: string[] = [];
  const envDir = stateDirFromEnv();
  if (envDir !== undefined) candidates.push(path.resolve(envDir, 'admin.sock'));
  if (existsSync(opts.defaultConfig)) {
    try {
      candidates.push(path.resolve(adminSocketPath((await loadConfig(opts.defaultConfig)).config)));
    } catch {
      // A broken default config is `config check`'s business; the demo may still be running.
    }
  }
  candidates.push(path.resolve(DEMO_STATE_DIR, 'admin.sock'));
  const unique = [...new Set(candidates)];
  for (const c of unique) if (await isLive(c)) return c;
  throw new ServiceNotRunningError(
    unique.join(', '),
    'nothing listening',
    'Start it with `npm start` or `npm run demo`, or point at it with --config <file> or --socket <path>',
  );
}
