/**
 * Finds the codex executable shipped by the `@openai/codex` npm dependency.
 *
 * We spawn the native binary directly rather than the package's `bin/codex.js`
 * launcher: on Node < 22.15 the launcher stays alive as a parent process, so a
 * kill or crash would orphan the real app-server.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);

const TARGETS: Record<string, { triple: string; pkg: string }> = {
  'linux-x64': { triple: 'x86_64-unknown-linux-musl', pkg: '@openai/codex-linux-x64' },
  'linux-arm64': { triple: 'aarch64-unknown-linux-musl', pkg: '@openai/codex-linux-arm64' },
  'darwin-x64': { triple: 'x86_64-apple-darwin', pkg: '@openai/codex-darwin-x64' },
  'darwin-arm64': { triple: 'aarch64-apple-darwin', pkg: '@openai/codex-darwin-arm64' },
};

export interface CodexBinary {
  /** Absolute path of the executable. */
  bin: string;
  /** Extra directories the app-server expects on PATH (bundled ripgrep), may be empty. */
  pathDirs: string[];
}

/**
 * Resolves the bundled native codex binary for this platform.
 * @throws Error naming the missing package and how to fix it.
 */
export function resolveBundledCodex(): CodexBinary {
  const target = TARGETS[`${process.platform}-${process.arch}`];
  if (!target) {
    throw new Error(`no bundled codex binary for ${process.platform}-${process.arch}; set codex.bin in the config`);
  }
  let vendor: string;
  try {
    vendor = path.join(path.dirname(require.resolve(`${target.pkg}/package.json`)), 'vendor', target.triple);
  } catch {
    throw new Error(`${target.pkg} is not installed (optional dependency of @openai/codex); run npm ci, or set codex.bin`);
  }
  const bin = path.join(vendor, 'bin', 'codex');
  if (!existsSync(bin)) throw new Error(`codex binary missing at ${bin}; reinstall @openai/codex or set codex.bin`);
  const rg = path.join(vendor, 'codex-path');
  return { bin, pathDirs: existsSync(rg) ? [rg] : [] };
}

/**
 * The codex binary a config selects: `codex.bin` when set (no extra PATH dirs), else the bundled one.
 * @throws Error from {@link resolveBundledCodex} when the bundled binary is missing.
 */
export function codexBinaryFor(codex: { bin?: string | undefined }): CodexBinary {
  return codex.bin ? { bin: codex.bin, pathDirs: [] } : resolveBundledCodex();
}
