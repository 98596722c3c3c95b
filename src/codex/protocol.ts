/**
 * The subset of the Codex app-server v2 JSON-RPC protocol Switchboard uses.
 *
 * Source: `codex app-server generate-json-schema --experimental` of
 * `@openai/codex@0.171.0`. `test/integration/protocol-schema.test.ts` checks
 * every method, field and enum here against the schema the installed binary
 * prints, so a codex upgrade that breaks these shapes fails loudly.
 *
 * Wire format: one JSON object per WebSocket message, no `"jsonrpc"` field.
 * request `{id, method, params}`, response `{id, result}` | `{id, error}`,
 * notification `{method, params}`; a server→client request has `id` and `method`.
 */

export type RequestId = string | number;

export interface JsonRpcError {
  code: number;
  message: string;
  data?: unknown;
}

// ---- initialize -------------------------------------------------------------

/** `initialize` params. */
export interface InitializeParams {
  clientInfo: { name: string; version: string; title?: string | null };
  capabilities: { experimentalApi: boolean } | null;
}

/** `initialize` result. */
export interface InitializeResponse {
  userAgent: string;
  codexHome: string;
  platformFamily: string;
  platformOs: string;
}

// ---- skills -------------------------------------------------------------------

/** `skills/extraRoots/set` params: absolute dirs whose children are skill dirs. Result `{}`. */
export interface SkillsExtraRootsSetParams {
  extraRoots: string[];
}

/** `skills/list` params. */
export interface SkillsListParams {
  cwds?: string[];
  forceReload?: boolean;
}

/** One skill as `skills/list` reports it. */
export interface SkillMetadata {
  name: string;
  description: string;
  path: string;
  enabled: boolean;
}

/** `skills/list` result. */
export interface SkillsListResponse {
  data: Array<{ cwd: string; skills: SkillMetadata[]; errors: Array<{ path: string; message: string }> }>;
}

// ---- account -------------------------------------------------------------------

/** `account/read` params. */
export interface GetAccountParams {
  refreshToken?: boolean;
}

/**
 * `account/read` result: `account` is null when codex holds no credentials; `requiresOpenaiAuth`
 * says whether the configured model provider needs them (false for a provider without auth).
 * Only `type` of the account is read (`apiKey`, `chatgpt`, `amazonBedrock`, `gcp`).
 */
export interface GetAccountResponse {
  account: { type: string } | null;
  requiresOpenaiAuth: boolean;
}

// ---- threads ------------------------------------------------------------------

export type SandboxMode = 'read-only' | 'workspace-write' | 'danger-full-access';
export type AskForApproval = 'untrusted' | 'on-request' | 'never';

/** Fields shared by `thread/start` and `thread/resume`. */
export interface ThreadSettings {
  cwd?: string | null;
  model?: string | null;
  sandbox?: SandboxMode | null;
  approvalPolicy?: AskForApproval | null;
  baseInstructions?: string | null;
  developerInstructions?: string | null;
  /** Config overrides for this thread, dotted keys as with `codex -c key=value` (`config` of v2 ThreadStartParams / ThreadResumeParams). */
  config?: Record<string, unknown> | null;
}

export type ThreadStartParams = ThreadSettings;

export interface ThreadResumeParams extends ThreadSettings {
  threadId: string;
}

export interface Thread {
  id: string;
}

/** Result of `thread/start` and `thread/resume`. */
export interface ThreadStartResponse {
  thread: Thread;
}

/** `thread/unsubscribe` params (codex app-server v2): unloads the thread from this connection; its rollout stays. */
export interface ThreadUnsubscribeParams {
  threadId: string;
}

/** `thread/unsubscribe` result (v2 ThreadUnsubscribeStatus). */
export interface ThreadUnsubscribeResponse {
  status: 'notLoaded' | 'notSubscribed' | 'unsubscribed';
}

/** A raw Responses-API item for `thread/inject_items`. */
export interface InjectedMessageItem {
  type: 'message';
  role: 'developer' | 'user';
  content: Array<{ type: 'input_text'; text: string }>;
}

/** `thread/inject_items` params; result `{}`. */
export interface ThreadInjectItemsParams {
  threadId: string;
  items: InjectedMessageItem[];
}

// ---- turns ---------------------------------------------------------------------

export interface TextUserInput {
  type: 'text';
  text: string;
  text_elements: unknown[];
}

/** `turn/start` params. */
export interface TurnStartParams {
  threadId: string;
  input: TextUserInput[];
  cwd?: string | null;
}

export type TurnStatus = 'completed' | 'interrupted' | 'failed' | 'inProgress';

export interface TurnError {
  message: string;
  additionalDetails?: string | null;
}

/** codex app-server v2 `MessagePhase`: commentary (mid-turn narration), a partial answer, or the terminal answer. */
export type MessagePhase = 'commentary' | 'partial_answer' | 'final_answer';

/** `agentMessage` item: text the agent wrote; `phase` is null/absent when the model does not say. */
export interface AgentMessageItem {
  type: 'agentMessage';
  id: string;
  text: string;
  phase?: MessagePhase | null;
}

/** Status of a command execution or a file change (`CommandExecutionStatus`, `PatchApplyStatus`). */
export type ToolItemStatus = 'inProgress' | 'completed' | 'failed' | 'declined';

/** `commandExecution` item: a shell command the agent runs. */
export interface CommandExecutionItem {
  type: 'commandExecution';
  id: string;
  command: string;
  status: ToolItemStatus;
  exitCode?: number | null;
}

/** One file of a `fileChange` item (`FileUpdateChange`; `kind.type` is add, delete or update). */
export interface FileUpdateChange {
  path: string;
  /** `update` with `move_path` (snake case on the wire): the file is also renamed to it. */
  kind: { type: 'add' | 'delete' } | { type: 'update'; move_path?: string | null };
  /**
   * The change. Observed with codex 0.171: for `add` the new file's content, for `delete` the
   * removed file's content, for `update` unified-diff hunks (`@@ -1,3 +1,4 @@`, then lines
   * starting ` `, `-` or `+`; no `---`/`+++` header).
   */
  diff: string;
}

/** `fileChange` item: a patch the agent applies. */
export interface FileChangeItem {
  type: 'fileChange';
  id: string;
  changes: FileUpdateChange[];
  status: ToolItemStatus;
}

/** `mcpToolCall` item: a call of tool `tool` on MCP server `server` (`McpToolCallStatus`). */
export interface McpToolCallItem {
  type: 'mcpToolCall';
  id: string;
  server: string;
  tool: string;
  status: 'inProgress' | 'completed' | 'failed';
}

/** `webSearch` item: `query` may be empty while the search is being set up. */
export interface WebSearchItem {
  type: 'webSearch';
  id: string;
  query: string;
}

/** `reasoning` item: `summary` holds the reasoning summary parts the model published (schema default `[]`). */
export interface ReasoningItem {
  type: 'reasoning';
  id: string;
  summary?: string[];
}

/** The other `ThreadItem` variants of codex app-server v2; Switchboard passes them through unread. */
export const OTHER_THREAD_ITEM_TYPES = [
  'userMessage',
  'hookPrompt',
  'functionCallOutput',
  'plan',
  'dynamicToolCall',
  'collabAgentToolCall',
  'subAgentActivity',
  'imageView',
  'sleep',
  'imageGeneration',
  'enteredReviewMode',
  'exitedReviewMode',
  'contextCompaction',
] as const;

/** A thread item Switchboard does not read beyond `type` and `id`. */
export interface OtherThreadItem {
  type: (typeof OTHER_THREAD_ITEM_TYPES)[number];
  id: string;
}

/**
 * A thread item (codex app-server v2 `ThreadItem`), discriminated on `type`. A newer codex may
 * send a type not listed here: code that `switch`es on `type` must keep a `default` branch.
 */
export type ThreadItem = AgentMessageItem | CommandExecutionItem | FileChangeItem | McpToolCallItem | WebSearchItem | ReasoningItem | OtherThreadItem;

export interface Turn {
  id: string;
  items: ThreadItem[];
  status: TurnStatus;
  error: TurnError | null;
}

/** `turn/start` result. */
export interface TurnStartResponse {
  turn: Turn;
}

/**
 * `turn/steer` params (codex app-server v2): adds `input` to the running turn; fails when
 * `expectedTurnId` is not the thread's active turn.
 */
export interface TurnSteerParams {
  threadId: string;
  expectedTurnId: string;
  input: TextUserInput[];
}

/** `turn/steer` result: the turn the input went to. */
export interface TurnSteerResponse {
  turnId: string;
}

/** `turn/interrupt` params; result `{}`. */
export interface TurnInterruptParams {
  threadId: string;
  turnId: string;
}

// ---- notifications --------------------------------------------------------------

/**
 * `serverRequest/resolved`: a server→client request (./server-requests.ts) was settled — answered,
 * or cleared by codex (its turn ended or was interrupted).
 */
export interface ServerRequestResolvedNotification {
  threadId: string;
  requestId: RequestId;
}

/** `turn/started` and `turn/completed` params. */
export interface TurnNotification {
  threadId: string;
  turn: Turn;
}

/** `item/started` and `item/completed` params. */
export interface ItemNotification {
  threadId: string;
  turnId: string;
  item: ThreadItem;
}

/** `item/agentMessage/delta` params: `delta` is appended to the text of agent message `itemId`. */
export interface AgentMessageDeltaNotification {
  threadId: string;
  turnId: string;
  itemId: string;
  delta: string;
}

/** One step of the agent's plan (`TurnPlanStep`). */
export interface TurnPlanStep {
  step: string;
  status: 'pending' | 'inProgress' | 'completed';
}

/** `turn/plan/updated` params: the whole plan as it stands (not a diff). */
export interface TurnPlanUpdatedNotification {
  threadId: string;
  turnId: string;
  explanation?: string | null;
  plan: TurnPlanStep[];
}

/** `error` params: `willRetry:false` means the turn failed. */
export interface ErrorNotification {
  threadId: string;
  turnId: string;
  error: TurnError;
  willRetry: boolean;
}

/** `mcpServer/startupStatus/updated` status (McpServerStartupState). */
export type McpServerStartupState = 'starting' | 'ready' | 'failed' | 'cancelled';

/**
 * `mcpServer/startupStatus/updated` params: one MCP server of one thread changed state.
 * Measured with codex 0.169: `starting` arrives before the `thread/start` (or `thread/resume`)
 * response; `ready` or `failed` follows when the server answered (or missed) its startup timeout.
 * A turn started before `ready` is not offered that server's tools.
 */
export interface McpServerStartupNotification {
  threadId: string | null;
  name: string;
  status: McpServerStartupState;
  error: string | null;
}

/** Client requests Switchboard sends, with their params and results. */
export interface ClientRequests {
  initialize: { params: InitializeParams; result: InitializeResponse };
  'skills/extraRoots/set': { params: SkillsExtraRootsSetParams; result: Record<string, never> };
  'skills/list': { params: SkillsListParams; result: SkillsListResponse };
  'account/read': { params: GetAccountParams; result: GetAccountResponse };
  'thread/start': { params: ThreadStartParams; result: ThreadStartResponse };
  'thread/resume': { params: ThreadResumeParams; result: ThreadStartResponse };
  'thread/inject_items': { params: ThreadInjectItemsParams; result: Record<string, never> };
  'thread/unsubscribe': { params: ThreadUnsubscribeParams; result: ThreadUnsubscribeResponse };
  'turn/start': { params: TurnStartParams; result: TurnStartResponse };
  'turn/steer': { params: TurnSteerParams; result: TurnSteerResponse };
  'turn/interrupt': { params: TurnInterruptParams; result: Record<string, never> };
}

export type ClientMethod = keyof ClientRequests;

/** Server notifications Switchboard reads. */
export interface ServerNotifications {
  'turn/started': TurnNotification;
  'turn/completed': TurnNotification;
  'item/started': ItemNotification;
  'item/completed': ItemNotification;
  'item/agentMessage/delta': AgentMessageDeltaNotification;
  'turn/plan/updated': TurnPlanUpdatedNotification;
  error: ErrorNotification;
  'mcpServer/startupStatus/updated': McpServerStartupNotification;
  'serverRequest/resolved': ServerRequestResolvedNotification;
}

/**
 * One server notification Switchboard reads, as a `{method, params}` union: `switch` on
 * `method` and `params` is typed, no casts (codex's generated `ServerNotification` has the same shape).
 */
export type ServerNotification = { [M in keyof ServerNotifications]: { method: M; params: ServerNotifications[M] } }[keyof ServerNotifications];

/** The methods of {@link ServerNotification} at run time; the record makes the compiler check the list is complete. */
const SERVER_NOTIFICATION_METHODS: Readonly<Record<keyof ServerNotifications, true>> = {
  'turn/started': true,
  'turn/completed': true,
  'item/started': true,
  'item/completed': true,
  'item/agentMessage/delta': true,
  'turn/plan/updated': true,
  error: true,
  'mcpServer/startupStatus/updated': true,
  'serverRequest/resolved': true,
};

/** True when `method` is one of the notifications Switchboard reads. */
export function isServerNotificationMethod(method: string): method is keyof ServerNotifications {
  return Object.hasOwn(SERVER_NOTIFICATION_METHODS, method);
}

/** Client notifications Switchboard sends. */
export const CLIENT_NOTIFICATIONS = ['initialized'] as const;
