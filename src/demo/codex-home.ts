/**
 * Offline CODEX_HOME: a config.toml that points codex at a local Responses-API endpoint
 * (normally the scripted model from ./scripted-model.ts), so no login or network is needed.
 */
import { ensurePrivateDir, writePrivateFile } from '../state/private-files.js';
import path from 'node:path';

/** Quotes a string as a TOML basic string. */
function tomlString(value: string): string {
  return JSON.stringify(value);
}

/**
 * Renders the offline config.toml text.
 * @param modelUrl base URL of the Responses endpoint including `/v1`, e.g. `http://127.0.0.1:PORT/v1`.
 * @param extraToml appended verbatim after the generated keys. Top-level keys placed there would
 *   land inside `[model_providers.mock]`, so start it with its own `[table]` header, or pass
 *   top-level overrides to codex with `-c key=value` instead.
 */
export function renderCodexConfig(modelUrl: string, extraToml?: string): string {
  const lines = [
    '# Written by Switchboard: drives codex against a local scripted Responses endpoint.',
    'model = "mock-model"',
    'model_provider = "mock"',
    'approval_policy = "never"',
    'sandbox_mode = "read-only"',
    '',
    '[model_providers.mock]',
    'name = "mock"',
    `base_url = ${tomlString(modelUrl)}`,
    'wire_api = "responses"',
    'request_max_retries = 0',
    'stream_max_retries = 0',
    '',
  ];
  let text = lines.join('\n');
  if (extraToml && extraToml.trim() !== '') text += `\n${extraToml.trimEnd()}\n`;
  return text;
}

/**
 * Creates `dir` (recursively, 0700 like the state dir it usually sits in) and writes
 * `dir/config.toml` 0600 for offline use (see renderCodexConfig). Overwrites an existing
 * config.toml. Rejects on filesystem errors.
 */
export async function writeCodexHome(dir: string, modelUrl: string, extraToml?: string): Promise<void> {
  await ensurePrivateDir(dir);
  await writePrivateFile(path.join(dir, 'config.toml'), renderCodexConfig(modelUrl, extraToml));
}
