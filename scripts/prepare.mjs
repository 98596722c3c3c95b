/**
 * npm `prepare`: builds dist/ (`npm run build`) unless it is already newer than every source.
 *
 * `npm ci` / `npm install` run it in a fresh clone (no dist/: it builds). So does `npx switchboard …`
 * inside this folder: npm 11 runs a project's own bin by installing the project into its npx cache,
 * which runs `prepare` each time that cache entry is made — a full `tsc` there took ≈ 25 s before
 * `status` answered. Up to date means dist/cli/main.js is newer than every file under src/ and the
 * two tsconfig files (git gives checked-out files the checkout time, so a branch switch rebuilds).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function builtAt() {
  try {
    return statSync(path.join(root, 'dist', 'cli', 'main.js')).mtimeMs;
  } catch {
    return 0;
  }
}

const sources = Math.max(newestMtime(path.join(root, 'src')), ...['tsconfig.json', 'tsconfig.build.json'].map((f) => statSync(path.join(root, f)).mtimeMs));
if (builtAt() > sources) {
  console.log('dist/ is up to date with src/; not rebuilt (npm run build rebuilds it)');
} else {
  const npm = process.env.npm_execpath;
  const [cmd, args] = npm ? [process.execPath, [npm, 'run', 'build']] : ['npm', ['run', 'build']];
  const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  process.exit(res.status ?? 1);
}
