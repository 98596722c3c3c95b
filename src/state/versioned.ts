/**
 * Checks of a versioned JSON document (state.json, a v1 `web-<channel>.json`, a journal's header
 * line): every problem throws a StateError that names the file, says Switchboard has not modified
 * it, and what to do.
 */
import { StateError } from './state-error.js';

/** Throws the StateError for `what` (a sentence tail, e.g. `is not valid JSON (…)`); `todo` overrides the advice. */
export type Fail = (what: string, todo?: string) => never;

export interface VersionedCheck {
  /** How the message names the file, e.g. `State file /x/state.json`. */
  what: string;
  /** The one supported `version`. */
  version: number;
  /** Completes "move it aside to …", e.g. `start fresh`. */
  fresh: string;
}

/** The `fail` of one file (see {@link Fail}). */
export function failFor(o: VersionedCheck): Fail {
  return (what, todo = `move it aside to ${o.fresh}, or restore a backup`) => {
    throw new StateError(`${o.what} ${what}. Switchboard has not modified it; ${todo}.`);
  };
}

/**
 * Parses `text` as a JSON object whose `version` is `o.version`.
 * @throws StateError for invalid JSON, a non-object, or another version (a newer one says to upgrade).
 */
export function parseVersioned(text: string, o: VersionedCheck): { doc: Record<string, unknown>; fail: Fail } {
  const fail = failFor(o);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return fail(`is not valid JSON (${(err as Error).message.split('\n')[0]})`);
  }
  if (!isRecord(doc)) return fail('is not a JSON object');
  if (doc.version !== o.version) {
    const v = JSON.stringify(doc.version);
    return typeof doc.version === 'number' && doc.version > o.version
      ? fail(`has version ${v}, newer than this Switchboard supports (${o.version})`, `upgrade Switchboard, or move it aside to ${o.fresh}`)
      : fail(`has unsupported version ${v} (expected ${o.version})`);
  }
  return { doc, fail };
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
