/**
 * Looks for secret values in text and in every regular file under a directory (read as bytes, so
 * binary files such as SQLite databases are searched too).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** One place a secret was found: where, and the name of the secret (never its value). */
export interface SecretHit {
  where: string;
  secret: string;
}

/** Hits of `secrets` (name → value) in `text`, labelled `where`. */
export function scanText(where: string, text: string | Buffer, secrets: Record<string, string>): SecretHit[] {
  const buf = typeof text === 'string' ? Buffer.from(text) : text;
  return Object.entries(secrets)
    .filter(([, value]) => buf.includes(value))
    .map(([secret]) => ({ where, secret }));
}

/** Hits in every regular file under `dir` (recursively); returns the hits and how many files were read. */
export function scanTree(dir: string, secrets: Record<string, string>): { hits: SecretHit[]; files: number } {
  const hits: SecretHit[] = [];
  let files = 0;
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const name of names) {
      const p = path.join(d, name);
      let st: ReturnType<typeof statSync>;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) {
        files++;
        try {
          hits.push(...scanText(p, readFileSync(p), secrets));
        } catch {
          // vanished meanwhile
        }
      }
    }
  };
  walk(dir);
  return { hits, files };
}
