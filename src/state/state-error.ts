/** The error of unusable state files and of a closed store (shared by every file of src/state/). */

/** Raised for unusable state files and for use of a closed store. */
export class StateError extends Error {
  override readonly name = 'StateError';
}
