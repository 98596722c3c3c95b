/**
 * The environment of every `codex app-server` child (dispatchers, teammates, `switchboard doctor`),
 * and so of everything codex starts: the agent's shell commands and MCP servers (codex hands MCP
 * servers a subset of its own environment). Built explicitly, never inherited, so the service's
 * secrets (platform tokens, any `"env:NAME"` value of the config) never reach the agent.
 *
 * What passes, from the service's environment when set:
 * - `PATH` (the bundled tool dirs are prepended at spawn), `HOME`, `USER`, `LOGNAME`, `SHELL`,
 *   `TMPDIR`, `TERM`: what a shell and codex need to find programs, the home dir and temp space;
 * - `LANG`, `LANGUAGE`, every `LC_*`, `TZ`: locale and time zone of command output;
 * - `HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY`, `ALL_PROXY` in upper and lower case, `SSL_CERT_FILE`,
 *   `SSL_CERT_DIR`, `NODE_EXTRA_CA_CERTS`, `CODEX_CA_CERTIFICATE`: reaching the model provider
 *   through a proxy or a private CA;
 * - `CODEX_HOME`, `CODEX_SQLITE_HOME`, `OPENAI_API_KEY`, `OPENAI_BASE_URL`, `CODEX_API_KEY`,
 *   `CODEX_ACCESS_TOKEN`: codex's own state and credentials (developers.openai.com/codex/
 *   environment-variables). These are the agent's credentials, not a chat platform's; a provider's
 *   own key variable (`env_key` in codex's config) must be listed in `codex.env.pass`;
 * - the operator's `codex.env.pass` names, then `codex.env.set` values (which win).
 * Whatever the lists say, a variable whose name the config reads with `env:` or whose value holds
 * one of the config's secrets (src/config/secrets.ts) is withheld.
 */
import type { StartGate } from './start-gate.js';
import type { CodexEnvConfig, Config } from '../config/schema.js';
import { secretValues } from '../config/secrets.js';
import type { CodexBinary } from './binary.js';
import type { ChildRegistry } from './child-registry.js';

/** Variables passed from the service's environment when set (see the module doc). */
export const CHILD_ENV_PASS: readonly string[] = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'TMPDIR',
  'TERM',
  'LANG',
  'LANGUAGE',
  'TZ',
  ...['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'ALL_PROXY'].flatMap((n) => [n, n.toLowerCase()]),
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'NODE_EXTRA_CA_CERTS',
  'CODEX_CA_CERTIFICATE',
  'CODEX_HOME',
  'CODEX_SQLITE_HOME',
  'OPENAI_API_KEY',
  'OPENAI_BASE_URL',
  'CODEX_API_KEY',
  'CODEX_ACCESS_TOKEN',
];

/** Secrets short enough to occur by chance in an unrelated value are matched whole, longer ones anywhere. */
const SUBSTRING_MIN = 8;

export interface ChildEnvSecrets {
  /** Variables the config reads with `env:`; never passed. */
  names: ReadonlySet<string>;
  /** Secret values (src/config/secrets.ts `secretValues`); a variable holding one is never passed. */
  values: ReadonlySet<string>;
}

export interface ChildEnv {
  /** The environment for codex children (without `NO_COLOR` and the bundled PATH dirs, added at spawn). */
  env: Readonly<Record<string, string>>;
  /** Names a list asked for but that were withheld as secrets (for one warning at start). */
  withheld: string[];
}

/** No `codex.env` entries (the fixed list only). */
export const NO_CODEX_ENV: CodexEnvConfig = { pass: [], set: {} };

/** No secrets to withhold (tools and tests that run codex without a config). */
export const NO_SECRETS: ChildEnvSecrets = { names: new Set(), values: new Set() };

/** How to launch codex: the binary, its PATH dirs, the child environment and the service's start gate. */
export interface CodexLaunch extends CodexBinary {
  env: Readonly<Record<string, string>>;
  /** Bounds concurrent app-server starts (config `codex.startConcurrency`); absent: unbounded. */
  startGate?: StartGate;
  /** Where each running app-server child is recorded for reaping after a crash (./child-registry.ts); absent: not recorded. */
  children?: ChildRegistry;
}

/**
 * Builds the child environment from `source` (normally `process.env`), the operator's `codex.env`
 * and the config's secrets. Pure: reads nothing else.
 */
export function childEnvironment(source: NodeJS.ProcessEnv, codexEnv: CodexEnvConfig, secrets: ChildEnvSecrets): ChildEnv {
  const holdsSecret = (name: string, value: string): boolean =>
    secrets.names.has(name) || [...secrets.values].some((s) => value === s || (s.length >= SUBSTRING_MIN && value.includes(s)));
  const env: Record<string, string> = {};
  const withheld: string[] = [];
  const offer = (name: string, value: string | undefined, asked: boolean): void => {
    if (value === undefined) return;
    if (holdsSecret(name, value)) {
      if (asked) withheld.push(name);
      return;
    }
    env[name] = value;
  };
  const locale = Object.keys(source).filter((n) => n.startsWith('LC_'));
  for (const name of [...CHILD_ENV_PASS, ...locale]) offer(name, source[name], false);
  for (const name of codexEnv.pass) offer(name, source[name], true);
  for (const [name, value] of Object.entries(codexEnv.set)) offer(name, value, true);
  return { env, withheld: [...new Set(withheld)] };
}

/**
 * The child environment for `config`: `source` minus the config's secrets, the variables named in
 * `secretEnv` (the config's `env:` references) included.
 */
export function childEnvironmentFor(
  config: { channels: Config['channels']; codex: { env: CodexEnvConfig } },
  secretEnv: readonly string[],
  source: NodeJS.ProcessEnv,
): ChildEnv {
  return childEnvironment(source, config.codex.env, { names: new Set(secretEnv), values: secretValues(config, secretEnv, source) });
}
