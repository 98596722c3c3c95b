/**
 * One log line's worth of a zod validation error of a platform payload (the inbound seams of the
 * Slack and Feishu channels).
 */
import type { z } from 'zod';

/**
 * `path: message` of the error's first three issues, joined by `; `; each path starts with
 * `prefix` when given (e.g. `event` for an inner event checked on its own), `(root)` when empty.
 */
export function describeIssues(error: z.ZodError, prefix?: string): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${[...(prefix ? [prefix] : []), ...i.path.map(String)].join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}
