/**
 * Server→client requests of codex app-server v2 that Switchboard answers: approvals (run a
 * command, change files, grant permissions) and questions (the agent's `request_user_input`
 * tool, an MCP server's elicitation). They arrive as `{id, method, params}` and wait for
 * `{id, result}`; an error answer declines. `serverRequest/resolved {threadId, requestId}`
 * tells that a request was settled (answered, or cleared by codex when its turn ended).
 *
 * Source: `codex app-server generate-json-schema` of `@openai/codex@0.171.0`
 * (`ServerRequest.json`, `*RequestApprovalParams.json`, `ToolRequestUserInput*.json`,
 * `McpServerElicitationRequest*.json`); the fields here are the ones Switchboard reads or
 * sends, checked by test/integration/protocol-schema.test.ts. A restarted app-server does not
 * accept answers to its predecessor's requests.
 */
import type { RequestId } from './protocol.js';

/** Fields every turn-bound request carries. */
interface TurnBound {
  threadId: string;
  turnId: string;
  itemId: string;
}

/**
 * `item/commandExecution/requestApproval` params. `kind` `humanCommand` allows only accept,
 * decline and cancel (no session-wide acceptance).
 */
export interface CommandApprovalParams extends TurnBound {
  command?: string | null;
  cwd?: string | null;
  reason?: string | null;
  kind?: 'command' | 'writeStdin' | 'humanCommand';
  /** Epoch ms when codex started asking. */
  startedAtMs: number;
}

/** `item/fileChange/requestApproval` params; the changes themselves are on the `fileChange` item (`item/started`). */
export interface FileChangeApprovalParams extends TurnBound {
  reason?: string | null;
  /** [UNSTABLE] the agent asks to write under this root for the rest of the session. */
  grantRoot?: string | null;
  startedAtMs: number;
}

/**
 * Where a file-system rule applies (codex `FileSystemPath`): a path, a glob, or a special place
 * (`{kind: 'root' | 'minimal' | 'project_roots' | 'tmpdir' | 'slash_tmp' | 'unknown', …}`).
 */
export type FileSystemPath =
  | { type: 'path'; path: string }
  | { type: 'glob_pattern'; pattern: string }
  | { type: 'special'; value: { kind: string; path?: string; subpath?: string | null } };

/** One file-system rule of a permission profile (codex `FileSystemSandboxEntry`). */
export interface FileSystemEntry {
  path: FileSystemPath;
  access: 'read' | 'write' | 'deny';
}

/**
 * The permissions a `item/permissions/requestApproval` asks for (codex `RequestPermissionProfile`).
 * Codex 0.171 sends a path both in the legacy `read`/`write` lists and as an `entries` rule
 * (observed: `request_permissions {file_system:{write:[P]}}` → `write: [P]` and
 * `entries: [{path:{type:'path', path:P}, access:'write'}]`).
 */
export interface PermissionProfile {
  fileSystem?: { read?: string[] | null; write?: string[] | null; entries?: FileSystemEntry[] | null } | null;
  network?: { enabled?: boolean | null } | null;
}

/** `item/permissions/requestApproval` params. */
export interface PermissionsApprovalParams extends TurnBound {
  cwd: string;
  permissions: PermissionProfile;
  reason?: string | null;
  startedAtMs: number;
}

/** One option of a `request_user_input` question. */
export interface UserInputOption {
  label: string;
  description: string;
}

/** One question of `item/tool/requestUserInput` (EXPERIMENTAL in codex). */
export interface UserInputQuestion {
  id: string;
  header: string;
  question: string;
  options?: UserInputOption[] | null;
  /** The user may answer with their own text besides the options. */
  isOther?: boolean;
  /** The answer is a secret (codex would mask it). */
  isSecret?: boolean;
}

/** `item/tool/requestUserInput` params. */
export interface UserInputParams extends TurnBound {
  questions: UserInputQuestion[];
  isBlocking: boolean;
}

/**
 * `_meta` of the elicitation codex itself sends to approve an MCP tool call (observed with codex
 * 0.171 when the server's tools are not pre-approved: `message` "Allow the <server> MCP server to
 * run tool "<tool>"?", an empty form, and this). Accepting with `_meta: {persist: 'session'}`
 * approves the tool for the rest of the session (measured: the second call is not asked).
 */
export interface CodexToolApprovalMeta {
  codex_approval_kind: 'mcp_tool_call';
  /** How long an approval may be kept: `session`, `always`. */
  persist?: string[];
  tool_name?: string;
  tool_description?: string | null;
  tool_params?: unknown;
}

/**
 * `mcpServer/elicitation/request` params (form mode: a JSON schema; url mode: a URL to visit).
 * An MCP server's own `elicitation/create` arrives with `_meta` null; codex's approval of an MCP
 * tool call carries a {@link CodexToolApprovalMeta}.
 */
export interface ElicitationParams {
  threadId: string;
  turnId?: string | null;
  serverName: string;
  mode: 'form' | 'openai/form' | 'openaiForm' | 'url';
  message: string;
  /** Form modes: a flat JSON schema `{type:'object', properties, required?}`. */
  requestedSchema?: unknown;
  url?: string;
  _meta?: CodexToolApprovalMeta | Record<string, unknown> | null;
}

/** What each request is answered with (codex `*Response.json`). */
export type CommandApprovalDecision = 'accept' | 'acceptForSession' | 'decline' | 'cancel';
export type FileChangeApprovalDecision = CommandApprovalDecision;

export interface ServerRequestParams {
  'item/commandExecution/requestApproval': CommandApprovalParams;
  'item/fileChange/requestApproval': FileChangeApprovalParams;
  'item/permissions/requestApproval': PermissionsApprovalParams;
  'item/tool/requestUserInput': UserInputParams;
  'mcpServer/elicitation/request': ElicitationParams;
}

export interface ServerRequestResults {
  'item/commandExecution/requestApproval': { decision: CommandApprovalDecision };
  'item/fileChange/requestApproval': { decision: FileChangeApprovalDecision };
  /** `permissions` = what is granted (`{}` grants nothing); `scope` default `turn`. */
  'item/permissions/requestApproval': { permissions: PermissionProfile; scope: 'turn' | 'session' };
  /** Question id → the chosen option labels or free text. */
  'item/tool/requestUserInput': { answers: Record<string, { answers: string[] }> };
  /** `content`: the form's values when accepted, else null; `_meta`: e.g. `{persist: 'session'}` for a tool-call approval. */
  'mcpServer/elicitation/request': { action: 'accept' | 'decline' | 'cancel'; content: unknown; _meta?: Record<string, unknown> };
}

export type ServerRequestMethod = keyof ServerRequestParams;

/** One server request Switchboard answers, as a `{id, method, params}` union: `switch` on `method`. */
export type ServerRequest = { [M in ServerRequestMethod]: { id: RequestId; method: M; params: ServerRequestParams[M] } }[ServerRequestMethod];

/** The answer to `request`: its result, or an error message (declines). */
export type ServerRequestReply<M extends ServerRequestMethod = ServerRequestMethod> =
  | { status: 'result'; result: ServerRequestResults[M] }
  | { status: 'error'; message: string };

/** The methods of {@link ServerRequest}; the record makes the compiler check the list is complete. */
const SERVER_REQUEST_METHODS_RECORD: Readonly<Record<ServerRequestMethod, true>> = {
  'item/commandExecution/requestApproval': true,
  'item/fileChange/requestApproval': true,
  'item/permissions/requestApproval': true,
  'item/tool/requestUserInput': true,
  'mcpServer/elicitation/request': true,
};

/** The server request methods Switchboard answers (checked against the schema's `ServerRequest.json`). */
export const SERVER_REQUEST_METHODS = Object.keys(SERVER_REQUEST_METHODS_RECORD) as ServerRequestMethod[];

/** True when `method` is one of the server requests Switchboard answers. */
export function isServerRequestMethod(method: string): method is ServerRequestMethod {
  return Object.hasOwn(SERVER_REQUEST_METHODS_RECORD, method);
}
