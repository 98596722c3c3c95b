/**
 * The long connection's wire format: protobuf (proto2) `pbbp2.Frame` messages, one per WebSocket
 * binary message. Field numbers/types as @larksuiteoapi/node-sdk 1.74 encodes them:
 *   Header { required string key = 1; required string value = 2; }
 *   Frame  { required uint64 SeqID = 1; required uint64 LogID = 2; required int32 service = 3;
 *            required int32 method = 4; repeated Header headers = 5; optional string payload_encoding = 6;
 *            optional string payload_type = 7; optional bytes payload = 8; optional string LogIDNew = 9; }
 * `method` is the frame kind (0 control: ping/pong, 1 data: event/card); the `type` header says which.
 */
import protobuf from 'protobufjs';

export const FRAME_METHOD = { control: 0, data: 1 } as const;

export interface FrameHeader {
  key: string;
  value: string;
}

export interface Frame {
  SeqID: number;
  LogID: number;
  service: number;
  method: number;
  headers: FrameHeader[];
  payloadEncoding?: string;
  payloadType?: string;
  payload?: Uint8Array;
  LogIDNew?: string;
}

const root = protobuf.Root.fromJSON({
  nested: {
    pbbp2: {
      nested: {
        Header: {
          fields: {
            key: { rule: 'required', type: 'string', id: 1 },
            value: { rule: 'required', type: 'string', id: 2 },
          },
        },
        Frame: {
          fields: {
            SeqID: { rule: 'required', type: 'uint64', id: 1 },
            LogID: { rule: 'required', type: 'uint64', id: 2 },
            service: { rule: 'required', type: 'int32', id: 3 },
            method: { rule: 'required', type: 'int32', id: 4 },
            headers: { rule: 'repeated', type: 'Header', id: 5 },
            payloadEncoding: { type: 'string', id: 6 },
            payloadType: { type: 'string', id: 7 },
            payload: { type: 'bytes', id: 8 },
            LogIDNew: { type: 'string', id: 9 },
          },
        },
      },
    },
  },
});

const FrameType = root.lookupType('pbbp2.Frame');

/** uint64 fields decode to numbers or Long objects depending on protobufjs' global Long setting. */
function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'toNumber' in v && typeof (v as { toNumber: unknown }).toNumber === 'function') {
    return (v as { toNumber(): number }).toNumber();
  }
  return Number(v ?? 0);
}

export function encodeFrame(frame: Frame): Uint8Array {
  return FrameType.encode(FrameType.fromObject(frame)).finish();
}

/** Throws (protobufjs ProtocolError) on a frame missing required fields. */
export function decodeFrame(bytes: Uint8Array): Frame {
  const msg = FrameType.decode(bytes) as unknown as Record<string, unknown>;
  const frame: Frame = {
    SeqID: toNumber(msg.SeqID),
    LogID: toNumber(msg.LogID),
    service: Number(msg.service),
    method: Number(msg.method),
    headers: ((msg.headers as FrameHeader[] | undefined) ?? []).map((h) => ({ key: h.key, value: h.value })),
  };
  const own = (k: string): boolean => Object.hasOwn(msg, k);
  if (own('payloadEncoding')) frame.payloadEncoding = String(msg.payloadEncoding);
  if (own('payloadType')) frame.payloadType = String(msg.payloadType);
  if (own('payload') && msg.payload instanceof Uint8Array) frame.payload = msg.payload;
  if (own('LogIDNew')) frame.LogIDNew = String(msg.LogIDNew);
  return frame;
}

export function headerMap(frame: Frame): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of frame.headers) out[h.key] = h.value;
  return out;
}

export function frameHeaders(map: Record<string, string>): FrameHeader[] {
  return Object.entries(map).map(([key, value]) => ({ key, value }));
}
