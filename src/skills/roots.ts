/**
 * Role-gated skill roots: which skill root dirs a runtime of each role gets
 * (applied with `skills/extraRoots/set`). Default: the bundled `skills/<role>/`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RuntimeRole } from '../config/schema.js';

/** Repository/package root: this file is at `<root>/{src,dist}/skills/roots.*`. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Directory of the bundled skills, `<root>/skills`. */
export const BUNDLED_SKILLS_DIR = path.join(PACKAGE_ROOT, 'skills');

/**
 * Absolute skill roots for `role`: `configured[role]` when set, else `<bundled>/<role>`.
 */
export function skillRootsFor(role: RuntimeRole, configured?: Record<string, string[]>): string[] {
  const roots = configured?.[role];
  if (roots) return roots.map((r) => path.resolve(r));
  return [path.join(BUNDLED_SKILLS_DIR, role)];
}
