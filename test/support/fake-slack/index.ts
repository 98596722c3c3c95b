/** The local fake Slack platform for tests. See server.ts for startFakeSlack(). */
export { startFakeSlack, type FakeSlack } from './server.js';
export type {
  DisconnectMode,
  FakeSlackOptions,
  FakeSlackUser,
  InjectedFailure,
  MessageFields,
  MessageSeed,
  RecordedCall,
  SendEventOptions,
  SendEventResult,
  StoredMessage,
} from './types.js';
export type { CallPredicate } from './call-log.js';
export type { RecordedAck } from './socket-mode.js';
export {
  appMention,
  botMessage,
  channelMessage,
  dmMessage,
  eventCallback,
  fileObject,
  messageChanged,
  messageDeleted,
  newEventId,
  nextEventTs,
  richTextBlock,
  urlVerification,
  DEFAULT_TEAM_ID,
  type BotMessageInput,
  type EventCallbackOptions,
  type FileSpec,
  type MessageChangedInput,
  type SlackEvent,
  type UserMessageInput,
} from './events.js';
export { blockActionsPayload, postInteraction, type ButtonPress } from './interactivity.js';
export type { StoredEphemeral, StoredStatus } from './web-api-live.js';
export { postEvent, signSlackRequest, STALE_OFFSET_SEC, type PostEventOptions, type PostEventResult, type Tamper } from './signing.js';
export { captureLogger, type CapturingLogger, type CapturedLine } from './bolt-logger.js';
export { compareTs, createTsClock, type TsClock } from './ts-clock.js';
