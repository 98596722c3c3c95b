/** The local fake Feishu/Lark platform for tests. See server.ts for startFakeFeishu(). */
export { startFakeFeishu, type FakeFeishu, type MessageSeed, type ResourceHold } from './server.js';
export type {
  FakeFeishuOptions,
  InjectedFailure,
  RecordedAck,
  RecordedCall,
  RouteName,
  SendEventOptions,
  SendEventResult,
  StoredMessage,
  StoredReaction,
  WsClientConfig,
} from './types.js';
export type { CallPredicate } from './call-log.js';
export { ROUTES, type CallPattern } from './routes.js';
export {
  CARD_LIMIT_BYTES,
  CARDKIT_SCOPE_ERROR,
  elementOf,
  isStreaming,
  SEQUENCE_ERROR,
  type CardActionInput,
  type CardOperation,
  type StoredCard,
} from './cardkit.js';
export { DEFAULT_CLIENT_CONFIG, WS_PATH } from './long-connection.js';
export { decodeFrame, encodeFrame, FRAME_METHOD, type Frame, type FrameHeader } from './frame.js';
export {
  DEFAULT_EVENT_CONTEXT,
  eventEnvelope,
  messageReceive,
  type BuiltMention,
  type EnvelopeOptions,
  type EventContext,
  type FeishuEvent,
  type MentionSpec,
  type MessageReceiveInput,
  type PostElement,
} from './events.js';
export {
  encryptFeishuPayload,
  feishuSignature,
  postWebhook,
  signFeishuRequest,
  urlVerification,
  type FeishuSignatureHeaders,
  type PostWebhookOptions,
  type PostWebhookResult,
  type WebhookTamper,
} from './webhook.js';
export { captureLarkLogger, type CapturingLarkLogger, type LarkLogLevel, type LarkLogLine } from './lark-logger.js';
export { TOKEN_ERRORS } from './tokens.js';
export {
  newAppId,
  newChatId,
  newEventId,
  newFileKey,
  newImageKey,
  newMessageId,
  newOpenId,
  newThreadId,
} from './ids.js';
