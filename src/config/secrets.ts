/**
 * What in a config is secret, so Switchboard can keep it from the agent (src/codex/child-env.ts):
 * the names of the environment variables its `"env:NAME"` strings refer to, and the values of
 * the channels' credentials (Slack `botToken`, `appToken`, `signingSecret`; Feishu `appSecret`,
 * `verificationToken`, `encryptKey`), whether written in the file or read from the environment.
 */
import type { Config } from './schema.js';

/** An `"env:NAME"` reference string; group 1 is NAME. */
export const ENV_REFERENCE_RE = /^env:([A-Za-z_][A-Za-z0-9_]*)$/;

/** One `"env:NAME"` string of a raw config and where it is (JSON keys/indexes from the root). */
export interface EnvReference {
  name: string;
  at: PropertyKey[];
}

/** Every `"env:NAME"` string in raw (unresolved) config JSON, in document order. */
export function envReferences(raw: unknown, at: PropertyKey[] = []): EnvReference[] {
  if (typeof raw === 'string') {
    const m = ENV_REFERENCE_RE.exec(raw);
    return m ? [{ name: m[1]!, at }] : [];
  }
  if (Array.isArray(raw)) return raw.flatMap((v, i) => envReferences(v, [...at, i]));
  if (raw !== null && typeof raw === 'object') return Object.entries(raw).flatMap(([k, v]) => envReferences(v, [...at, k]));
  return [];
}

/** Names of the variables raw config JSON refers to with `"env:NAME"`, each once. */
export function envReferenceNames(raw: unknown): string[] {
  return [...new Set(envReferences(raw).map((r) => r.name))];
}

/**
 * Secret values of a loaded config: its channels' credentials plus the current values (in `env`)
 * of `secretEnv`, the variables its `env:` strings named. Empty strings are left out.
 */
export function secretValues(config: Pick<Config, 'channels'>, secretEnv: readonly string[], env: NodeJS.ProcessEnv): Set<string> {
  const out = new Set<string>();
  const add = (v: string | undefined): void => {
    if (v) out.add(v);
  };
  for (const c of config.channels) {
    if (c.type === 'slack') [c.botToken, c.appToken, c.signingSecret].forEach(add);
    if (c.type === 'feishu') [c.appSecret, c.verificationToken, c.encryptKey].forEach(add);
  }
  for (const name of secretEnv) add(env[name]);
  return out;
}
