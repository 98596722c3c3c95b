/**
 * Recently seen event ids (bounded, oldest forgotten first). Feishu re-delivers an event whose
 * acknowledgement it did not get in time; the dispatcher already deduplicates by message id, this
 * drops the repeat earlier (no second hand-over).
 */
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(private readonly max = 2_000) {}

  /** Records `id`; false when it was already there. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    while (this.ids.size > this.max) this.ids.delete(this.ids.values().next().value!);
    return true;
  }

  /** Forgets `id` (its handling failed, so a re-delivery may try again). */
  delete(id: string): void {
    this.ids.delete(id);
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }
}
