/**
 * One error vocabulary for messages: what to print or log for anything a `catch` received.
 */

/** `err.message` for an Error, else `String(err)` (a thrown string, number, …). */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
