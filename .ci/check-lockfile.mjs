#!/usr/bin/env node
// Fails when package-lock.json lacks an optional dependency that some locked package declares
// (e.g. another platform's @rollup/rollup-* or @esbuild/* build). npm 11 rejects such a lockfile in
// `npm ci` ("Missing: … from lock file"), so every fresh clone on another platform would fail.
// Resolution follows Node's lookup: node_modules/a/node_modules/b, then each ancestor's folder.
// Uses no dependencies, so it runs before `npm ci`. Exit code 1 lists every missing entry.
import { readFileSync } from 'node:fs';

const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8'));
const packages = lock.packages ?? {};

/** The lockfile key a dependency `name` of the package at `from` resolves to, or undefined. */
function resolve(from, name) {
  let base = from;
  for (;;) {
    const key = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (key in packages) return key;
    if (base === '') return undefined;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut === -1 ? '' : base.slice(0, cut);
  }
}

const missing = [];
for (const [path, entry] of Object.entries(packages)) {
  for (const name of Object.keys(entry.optionalDependencies ?? {})) {
    if (resolve(path, name) === undefined) missing.push(`${name} (optional dependency of ${path || 'the root'})`);
  }
}
if (missing.length > 0) {
  console.error(`package-lock.json lacks ${missing.length} optional package(s), so npm ci fails on other platforms:`);
  for (const line of missing) console.error(`  - ${line}`);
  console.error('Fix: rm -rf node_modules && npm install --package-lock-only --ignore-scripts, then commit package-lock.json.');
  process.exit(1);
}
console.log(`package-lock.json: every optional platform package is locked (${Object.keys(packages).length} entries)`);
