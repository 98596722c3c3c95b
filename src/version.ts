/**
 * Switchboard's own version: `version` of its package.json (two folders above this module in
 * both `src/` and `dist/`). Read once at load, before the service does any I/O of its own.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** e.g. `0.1.0`; sent as codex `initialize` clientInfo.version and the MCP server's version. */
export const SWITCHBOARD_VERSION: string = (JSON.parse(readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8')) as { version: string })
  .version;
