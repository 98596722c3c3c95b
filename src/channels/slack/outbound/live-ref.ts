/**
 * The persisted reference of a Slack live element (LiveElement.ref): JSON
 * `{"v":1,"mode":"stream"|"update","channel":"C…","ts":"…"}` — `stream`: a message opened with
 * `chat.startStream`; `update`: the fallback placeholder kept current with `chat.update`.
 */

export interface SlackLiveRef {
  mode: 'stream' | 'update';
  /** Conversation id the element is in. */
  channel: string;
  /** ts of the element's message. */
  ts: string;
}

export function encodeLiveRef(ref: SlackLiveRef): string {
  return JSON.stringify({ v: 1, mode: ref.mode, channel: ref.channel, ts: ref.ts });
}

/**
 * The fields of a message reference this adapter wrote (JSON `{"v":1,"channel","ts",…}` with a
 * non-empty channel and ts), or null. Shared by live elements and prompts.
 */
export function decodeMessageRef(text: string): (Record<string, unknown> & { channel: string; ts: string }) | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (v === null || typeof v !== 'object') return null;
  const r = v as Record<string, unknown>;
  if (r.v !== 1 || typeof r.channel !== 'string' || typeof r.ts !== 'string' || r.channel === '' || r.ts === '') return null;
  return { ...r, channel: r.channel, ts: r.ts };
}

/** The reference in `text`, or null when it is not one this adapter wrote. */
export function decodeLiveRef(text: string): SlackLiveRef | null {
  const r = decodeMessageRef(text);
  if (!r || (r.mode !== 'stream' && r.mode !== 'update')) return null;
  return { mode: r.mode, channel: r.channel, ts: r.ts };
}
