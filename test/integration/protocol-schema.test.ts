/**
 * `src/codex/protocol.ts` (and the server requests of `src/codex/server-requests.ts`, with the
 * answers we send them) against the JSON Schema the installed codex binary prints
 * (`codex app-server generate-json-schema --experimental`). A codex upgrade that renames a
 * method, drops or renames a field we use, makes a new params field required, or changes an
 * enum we mirror fails here with the method/field named.
 *
 * The tables below are typed against protocol.ts (`Presence<T>` must list every field of `T`,
 * with its optionality), so they cannot drift from it without a compile error.
 *
 * Nullable fields: the generator leaves `Option<T>` fields out of `required` (e.g. `Turn.error`)
 * while codex serializes them as `null`; the TypeScript bindings it generates (`generate-ts`)
 * declare them `T | null`. protocol.ts does the same, so a field we type `X | null` must be
 * required or nullable in the schema.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLIENT_NOTIFICATIONS,
  type AskForApproval,
  type ClientMethod,
  type ClientRequests,
  type InitializeParams,
  type CommandExecutionItem,
  type FileChangeItem,
  type FileUpdateChange,
  type McpServerStartupState,
  type McpToolCallItem,
  type MessagePhase,
  OTHER_THREAD_ITEM_TYPES,
  type ReasoningItem,
  type ToolItemStatus,
  type TurnPlanStep,
  type WebSearchItem,
  type SandboxMode,
  type ServerNotifications,
  type SkillMetadata,
  type SkillsListResponse,
  type TextUserInput,
  type Thread,
  type ThreadUnsubscribeResponse,
  type ThreadItem,
  type Turn,
  type TurnError,
  type TurnStatus,
} from '../../src/codex/protocol.js';
import {
  SERVER_REQUEST_METHODS,
  type CommandApprovalParams,
  type FileChangeApprovalParams,
  type FileSystemEntry,
  type PermissionsApprovalParams,
  type ServerRequestMethod,
  type ServerRequestResults,
  type UserInputOption,
  type UserInputParams,
  type UserInputQuestion,
} from '../../src/codex/server-requests.js';
import { codexBinPath } from '../support/codex-env.js';
import { CodexSchema, generateCodexSchema, type SchemaNode } from '../support/codex-schema.js';
import { cleanupTempDirs, makeTempDir } from '../support/temp.js';

// ---- type-level mirrors of protocol.ts ---------------------------------------------------

/**
 * How protocol.ts declares each field of `T`: `optional` (`k?:`), `nullable` (`k: X | null`)
 * or `required`. A `Presence<T>` literal must name every field of `T`, and only those.
 */
type Presence<T> = {
  [K in keyof T]-?: object extends Pick<T, K> ? 'optional' : null extends T[K] ? 'nullable' : 'required';
};

/** The members of a string union; a `Record` so the literal must list each member exactly once. */
function unionMembers<T extends string>(members: Record<T, true>): T[] {
  return Object.keys(members) as T[];
}

type AgentMessageItem = Extract<ThreadItem, { type: 'agentMessage' }>;

/** Top-level params fields we send, per method. */
const PARAMS_SENT: { [M in ClientMethod]: Presence<ClientRequests[M]['params']> } = {
  initialize: { clientInfo: 'required', capabilities: 'nullable' },
  'skills/extraRoots/set': { extraRoots: 'required' },
  'skills/list': { cwds: 'optional', forceReload: 'optional' },
  'account/read': { refreshToken: 'optional' },
  'thread/start': {
    cwd: 'optional',
    model: 'optional',
    sandbox: 'optional',
    approvalPolicy: 'optional',
    baseInstructions: 'optional',
    developerInstructions: 'optional',
    config: 'optional',
  },
  'thread/resume': {
    threadId: 'required',
    cwd: 'optional',
    model: 'optional',
    sandbox: 'optional',
    approvalPolicy: 'optional',
    baseInstructions: 'optional',
    developerInstructions: 'optional',
    config: 'optional',
  },
  'thread/inject_items': { threadId: 'required', items: 'required' },
  'thread/unsubscribe': { threadId: 'required' },
  'turn/start': { threadId: 'required', input: 'required', cwd: 'optional' },
  'turn/steer': { threadId: 'required', expectedTurnId: 'required', input: 'required' },
  'turn/interrupt': { threadId: 'required', turnId: 'required' },
};

/** Top-level result fields we read, per method (`{}`: we read nothing). */
const RESULT_READ: { [M in ClientMethod]: Presence<ClientRequests[M]['result']> } = {
  initialize: { userAgent: 'required', codexHome: 'required', platformFamily: 'required', platformOs: 'required' },
  'skills/extraRoots/set': {},
  'skills/list': { data: 'required' },
  'account/read': { account: 'nullable', requiresOpenaiAuth: 'required' },
  'thread/start': { thread: 'required' },
  'thread/resume': { thread: 'required' },
  'thread/inject_items': {},
  'thread/unsubscribe': { status: 'required' },
  'turn/start': { turn: 'required' },
  'turn/steer': { turnId: 'required' },
  'turn/interrupt': {},
};

/** Top-level notification params we read, per notification. */
const NOTIFICATION_READ: { [N in keyof ServerNotifications]: Presence<ServerNotifications[N]> } = {
  'turn/started': { threadId: 'required', turn: 'required' },
  'turn/completed': { threadId: 'required', turn: 'required' },
  'item/started': { threadId: 'required', turnId: 'required', item: 'required' },
  'item/completed': { threadId: 'required', turnId: 'required', item: 'required' },
  'item/agentMessage/delta': { threadId: 'required', turnId: 'required', itemId: 'required', delta: 'required' },
  'turn/plan/updated': { threadId: 'required', turnId: 'required', explanation: 'optional', plan: 'required' },
  error: { threadId: 'required', turnId: 'required', error: 'required', willRetry: 'required' },
  'mcpServer/startupStatus/updated': { threadId: 'nullable', name: 'required', status: 'required', error: 'nullable' },
  'serverRequest/resolved': { threadId: 'required', requestId: 'required' },
};

const TURN: Presence<Turn> = { id: 'required', items: 'required', status: 'required', error: 'nullable' };
const TURN_ERROR: Presence<TurnError> = { message: 'required', additionalDetails: 'optional' };
const AGENT_MESSAGE: Presence<AgentMessageItem> = { type: 'required', id: 'required', text: 'required', phase: 'optional' };
const COMMAND_EXECUTION: Presence<CommandExecutionItem> = { type: 'required', id: 'required', command: 'required', status: 'required', exitCode: 'optional' };
const FILE_CHANGE: Presence<FileChangeItem> = { type: 'required', id: 'required', changes: 'required', status: 'required' };
const MCP_TOOL_CALL: Presence<McpToolCallItem> = { type: 'required', id: 'required', server: 'required', tool: 'required', status: 'required' };
const WEB_SEARCH: Presence<WebSearchItem> = { type: 'required', id: 'required', query: 'required' };
const REASONING: Presence<ReasoningItem> = { type: 'required', id: 'required', summary: 'optional' };

/** The item variants protocol.ts types field by field, and where their tables are checked. */
const TYPED_ITEMS: Array<[ThreadItem['type'], FieldCheck['fields']]> = [
  ['agentMessage', AGENT_MESSAGE],
  ['commandExecution', COMMAND_EXECUTION],
  ['fileChange', FILE_CHANGE],
  ['mcpToolCall', MCP_TOOL_CALL],
  ['webSearch', WEB_SEARCH],
  ['reasoning', REASONING],
];

type Source =
  | { params: ClientMethod }
  | { result: ClientMethod }
  | { notification: keyof ServerNotifications }
  | { serverRequest: ServerRequestMethod }
  /** The result we answer a server request with. */
  | { serverReply: ServerRequestMethod };

interface FieldCheck {
  /** Test name, e.g. `turn/completed params .turn`. */
  label: string;
  source: Source;
  /** Path from the source to the object (see `SchemaNode.at`); `''` is the source itself. */
  path: string;
  fields: Record<string, 'optional' | 'nullable' | 'required'>;
}

function row(source: Source, path: string, fields: FieldCheck['fields']): FieldCheck {
  const [kind, name] = Object.entries(source)[0] as [string, string];
  const label = `${name} ${kind === 'notification' || kind === 'serverRequest' ? 'params' : kind === 'serverReply' ? 'reply' : kind}${path ? ` .${path}` : ''}`;
  return { label, source, path, fields };
}

/** A row whose field table is checked against the protocol.ts type `T`. */
function check<T>(source: Source, path: string, fields: Presence<T>): FieldCheck {
  return row(source, path, fields as FieldCheck['fields']);
}

/** Top-level result fields of the answers we send to server requests, per method. */
const REPLY_SENT: { [M in ServerRequestMethod]: Presence<ServerRequestResults[M]> } = {
  'item/commandExecution/requestApproval': { decision: 'required' },
  'item/fileChange/requestApproval': { decision: 'required' },
  'item/permissions/requestApproval': { permissions: 'required', scope: 'required' },
  'item/tool/requestUserInput': { answers: 'required' },
  'mcpServer/elicitation/request': { action: 'required', content: 'nullable', _meta: 'optional' },
};

const SENT: FieldCheck[] = [
  ...(Object.keys(PARAMS_SENT) as ClientMethod[]).map((m) => row({ params: m }, '', PARAMS_SENT[m])),
  ...(Object.keys(REPLY_SENT) as ServerRequestMethod[]).map((m) => row({ serverReply: m }, '', REPLY_SENT[m])),
  check<FileSystemEntry>({ serverReply: 'item/permissions/requestApproval' }, 'permissions.fileSystem.entries[]', { path: 'required', access: 'required' }),
  check<InitializeParams['clientInfo']>({ params: 'initialize' }, 'clientInfo', { name: 'required', version: 'required', title: 'optional' }),
  check<NonNullable<InitializeParams['capabilities']>>({ params: 'initialize' }, 'capabilities', { experimentalApi: 'required' }),
  check<TextUserInput>({ params: 'turn/start' }, 'input[].<text>', { type: 'required', text: 'required', text_elements: 'required' }),
  check<TextUserInput>({ params: 'turn/steer' }, 'input[].<text>', { type: 'required', text: 'required', text_elements: 'required' }),
];

const READ: FieldCheck[] = [
  ...(Object.keys(RESULT_READ) as ClientMethod[]).map((m) => row({ result: m }, '', RESULT_READ[m])),
  check<Thread>({ result: 'thread/start' }, 'thread', { id: 'required' }),
  check<Thread>({ result: 'thread/resume' }, 'thread', { id: 'required' }),
  check<Turn>({ result: 'turn/start' }, 'turn', TURN),
  check<SkillsListResponse['data'][number]>({ result: 'skills/list' }, 'data[]', { cwd: 'required', skills: 'required', errors: 'required' }),
  check<SkillMetadata>({ result: 'skills/list' }, 'data[].skills[]', { name: 'required', description: 'required', path: 'required', enabled: 'required' }),
  check<SkillsListResponse['data'][number]['errors'][number]>({ result: 'skills/list' }, 'data[].errors[]', { path: 'required', message: 'required' }),
  ...(Object.keys(NOTIFICATION_READ) as (keyof ServerNotifications)[]).map((n) => row({ notification: n }, '', NOTIFICATION_READ[n])),
  check<Turn>({ notification: 'turn/started' }, 'turn', TURN),
  check<Turn>({ notification: 'turn/completed' }, 'turn', TURN),
  check<TurnError>({ notification: 'turn/completed' }, 'turn.error', TURN_ERROR),
  check<AgentMessageItem>({ notification: 'turn/completed' }, 'turn.items[].<agentMessage>', AGENT_MESSAGE),
  ...TYPED_ITEMS.flatMap(([type, fields]) => [
    row({ notification: 'item/started' }, `item.<${type}>`, fields),
    row({ notification: 'item/completed' }, `item.<${type}>`, fields),
  ]),
  check<FileUpdateChange>({ notification: 'item/completed' }, 'item.<fileChange>.changes[]', { path: 'required', kind: 'required', diff: 'required' }),
  check<TurnPlanStep>({ notification: 'turn/plan/updated' }, 'plan[]', { step: 'required', status: 'required' }),
  check<TurnError>({ notification: 'error' }, 'error', TURN_ERROR),
  check<CommandApprovalParams>({ serverRequest: 'item/commandExecution/requestApproval' }, '', {
    threadId: 'required',
    turnId: 'required',
    itemId: 'required',
    command: 'optional',
    cwd: 'optional',
    reason: 'optional',
    kind: 'optional',
    startedAtMs: 'required',
  }),
  check<FileChangeApprovalParams>({ serverRequest: 'item/fileChange/requestApproval' }, '', {
    threadId: 'required',
    turnId: 'required',
    itemId: 'required',
    reason: 'optional',
    grantRoot: 'optional',
    startedAtMs: 'required',
  }),
  check<FileSystemEntry>({ serverRequest: 'item/permissions/requestApproval' }, 'permissions.fileSystem.entries[]', { path: 'required', access: 'required' }),
  check<Extract<FileUpdateChange['kind'], { type: 'update' }>>({ notification: 'item/completed' }, 'item.<fileChange>.changes[].kind.<update>', {
    type: 'required',
    move_path: 'optional',
  }),
  check<PermissionsApprovalParams>({ serverRequest: 'item/permissions/requestApproval' }, '', {
    threadId: 'required',
    turnId: 'required',
    itemId: 'required',
    cwd: 'required',
    permissions: 'required',
    reason: 'optional',
    startedAtMs: 'required',
  }),
  check<UserInputParams>({ serverRequest: 'item/tool/requestUserInput' }, '', {
    threadId: 'required',
    turnId: 'required',
    itemId: 'required',
    questions: 'required',
    isBlocking: 'required',
  }),
  check<UserInputQuestion>({ serverRequest: 'item/tool/requestUserInput' }, 'questions[]', {
    id: 'required',
    header: 'required',
    question: 'required',
    options: 'optional',
    isOther: 'optional',
    isSecret: 'optional',
  }),
  check<UserInputOption>({ serverRequest: 'item/tool/requestUserInput' }, 'questions[].options[]', { label: 'required', description: 'required' }),
  row({ serverRequest: 'mcpServer/elicitation/request' }, '', { threadId: 'required', turnId: 'optional', serverName: 'required' }),
];

const SANDBOX_MODES = unionMembers<SandboxMode>({ 'read-only': true, 'workspace-write': true, 'danger-full-access': true });
const APPROVAL_POLICIES = unionMembers<AskForApproval>({ untrusted: true, 'on-request': true, never: true });
const TURN_STATUSES = unionMembers<TurnStatus>({ completed: true, interrupted: true, failed: true, inProgress: true });
const MESSAGE_PHASES = unionMembers<MessagePhase>({ commentary: true, partial_answer: true, final_answer: true });
const TOOL_ITEM_STATUSES = unionMembers<ToolItemStatus>({ inProgress: true, completed: true, failed: true, declined: true });
const MCP_TOOL_CALL_STATUSES = unionMembers<McpToolCallItem['status']>({ inProgress: true, completed: true, failed: true });
const PLAN_STEP_STATUSES = unionMembers<TurnPlanStep['status']>({ pending: true, inProgress: true, completed: true });
const PATCH_CHANGE_KINDS = unionMembers<FileUpdateChange['kind']['type']>({ add: true, delete: true, update: true });
const MCP_STARTUP_STATES = unionMembers<McpServerStartupState>({ starting: true, ready: true, failed: true, cancelled: true });
const UNSUBSCRIBE_STATUSES = unionMembers<ThreadUnsubscribeResponse['status']>({ notLoaded: true, notSubscribed: true, unsubscribed: true });

// ---- the test ------------------------------------------------------------------------------

const sorted = (values: Iterable<string>): string[] => [...values].sort();

describe('codex app-server protocol schema vs src/codex/protocol.ts', () => {
  let schema: CodexSchema;

  beforeAll(async () => {
    const outDir = makeTempDir('sb-codex-schema-');
    await generateCodexSchema(codexBinPath(), outDir, makeTempDir('sb-codex-schema-home-'));
    schema = new CodexSchema(outDir);
  });

  afterAll(cleanupTempDirs);

  function locate(source: Source): SchemaNode {
    if ('params' in source) return schema.params('ClientRequest.json', source.params);
    if ('result' in source) return schema.result(source.result);
    if ('serverRequest' in source) return schema.params('ServerRequest.json', source.serverRequest);
    if ('serverReply' in source) return schema.serverRequestResult(source.serverReply);
    return schema.params('ServerNotification.json', source.notification);
  }

  describe('method names', () => {
    const cases: Array<[string, string, readonly string[]]> = [
      ['client requests', 'ClientRequest.json', Object.keys(PARAMS_SENT)],
      ['server notifications', 'ServerNotification.json', Object.keys(NOTIFICATION_READ)],
      ['client notifications', 'ClientNotification.json', CLIENT_NOTIFICATIONS],
      ['server requests', 'ServerRequest.json', SERVER_REQUEST_METHODS],
    ];
    it.each(cases)('%s exist in %s', (_what, file, ours) => {
      const known = schema.messages(file);
      const missing = ours.filter((m) => !known.has(m));
      expect(missing, `methods in protocol.ts that ${file} no longer has`).toEqual([]);
    });
  });

  describe('fields we send', () => {
    it.each(SENT.map((c) => [c.label, c] as const))('%s', (_label, c) => {
      const node = locate(c.source).at(c.path);
      const { properties, required } = node.shape();
      const unknown = Object.keys(c.fields).filter((f) => !properties.has(f));
      expect(unknown, `${node.where}: fields we send that the schema does not define`).toEqual([]);
      const notSent = [...required].filter((f) => !(f in c.fields));
      expect(notSent, `${node.where}: fields the schema requires that protocol.ts does not send`).toEqual([]);
      const sentOptionally = [...required].filter((f) => c.fields[f] === 'optional');
      expect(sentOptionally, `${node.where}: fields the schema requires that protocol.ts declares optional`).toEqual([]);
    });
  });

  describe('fields we read', () => {
    it.each(READ.map((c) => [c.label, c] as const))('%s', (_label, c) => {
      const node = locate(c.source).at(c.path);
      const { properties, required } = node.shape();
      const problems: string[] = [];
      for (const [field, presence] of Object.entries(c.fields)) {
        const prop = properties.get(field);
        if (!prop) problems.push(`${field}: not in the schema`);
        else if (presence === 'required' && !required.has(field)) problems.push(`${field}: we rely on it, the schema makes it optional`);
        else if (presence === 'required' && prop.isNullable()) problems.push(`${field}: we rely on it, the schema allows null`);
        else if (presence === 'nullable' && !required.has(field) && !prop.isNullable()) {
          problems.push(`${field}: typed \`X | null\` (always present), the schema makes it optional and not nullable`);
        }
      }
      expect(problems.join('; '), `${node.where}: fields protocol.ts reads`).toBe('');
    });

    it('every ThreadItem variant has a required `id` and `type`', () => {
      const variants = schema.params('ServerNotification.json', 'item/completed').at('item').nonNull().members();
      expect(variants.length, 'ThreadItem is no longer a union').toBeGreaterThan(1);
      const bad = variants
        .map((v) => ({ v, shape: v.shape() }))
        .filter(({ shape }) => !['id', 'type'].every((f) => shape.required.has(f) && shape.properties.has(f)))
        .map(({ shape }) => shape.properties.get('type')?.stringValues().join('|') ?? '?');
      expect(bad, 'ThreadItem variants without required id/type (protocol.ts ThreadItem assumes both)').toEqual([]);
    });

    it("protocol.ts ThreadItem lists exactly the schema's item types", () => {
      const variants = schema.params('ServerNotification.json', 'item/completed').at('item').nonNull().members();
      const theirs = variants.flatMap((v) => v.shape().properties.get('type')?.stringValues() ?? []);
      const ours = [...TYPED_ITEMS.map(([t]) => t), ...OTHER_THREAD_ITEM_TYPES];
      expect(sorted(ours), 'ThreadItem types (protocol.ts vs schema): add new ones to OTHER_THREAD_ITEM_TYPES or type them').toEqual(sorted(theirs));
    });
  });

  describe('enums mirrored in protocol.ts', () => {
    it('SandboxMode equals thread/start params .sandbox', () => {
      const values = schema.params('ClientRequest.json', 'thread/start').at('sandbox').stringValues();
      expect(sorted(values), 'SandboxMode values (schema vs protocol.ts)').toEqual(sorted(SANDBOX_MODES));
    });

    it('AskForApproval equals the string variants of thread/start params .approvalPolicy', () => {
      const values = schema.params('ClientRequest.json', 'thread/start').at('approvalPolicy').stringValues();
      expect(sorted(values), 'AskForApproval string values (schema vs protocol.ts)').toEqual(sorted(APPROVAL_POLICIES));
    });

    it('TurnStatus equals turn/completed params .turn.status', () => {
      const values = schema.params('ServerNotification.json', 'turn/completed').at('turn.status').stringValues();
      expect(sorted(values), 'TurnStatus values (schema vs protocol.ts)').toEqual(sorted(TURN_STATUSES));
    });

    it.each([
      ['MessagePhase', 'item/completed', 'item.<agentMessage>.phase', MESSAGE_PHASES],
      ['CommandExecutionStatus', 'item/completed', 'item.<commandExecution>.status', TOOL_ITEM_STATUSES],
      ['PatchApplyStatus', 'item/completed', 'item.<fileChange>.status', TOOL_ITEM_STATUSES],
      ['McpToolCallStatus', 'item/completed', 'item.<mcpToolCall>.status', MCP_TOOL_CALL_STATUSES],
      ['TurnPlanStepStatus', 'turn/plan/updated', 'plan[].status', PLAN_STEP_STATUSES],
    ] as const)('%s equals %s params .%s', (_name, method, path, ours) => {
      const values = schema.params('ServerNotification.json', method).at(path).stringValues();
      expect(sorted(values), `${path} values (schema vs protocol.ts)`).toEqual(sorted(ours));
    });

    it('PatchChangeKind types equal item.<fileChange>.changes[].kind', () => {
      const kinds = schema.params('ServerNotification.json', 'item/completed').at('item.<fileChange>.changes[].kind').members();
      const theirs = kinds.flatMap((k) => k.shape().properties.get('type')?.stringValues() ?? []);
      expect(sorted(theirs), 'PatchChangeKind types (schema vs protocol.ts)').toEqual(sorted(PATCH_CHANGE_KINDS));
    });

    it('ThreadUnsubscribeStatus equals thread/unsubscribe result .status', () => {
      const values = schema.result('thread/unsubscribe').at('status').stringValues();
      expect(sorted(values), 'ThreadUnsubscribeStatus values (schema vs protocol.ts)').toEqual(sorted(UNSUBSCRIBE_STATUSES));
    });

    it('McpServerStartupState equals mcpServer/startupStatus/updated params .status', () => {
      const values = schema.params('ServerNotification.json', 'mcpServer/startupStatus/updated').at('status').stringValues();
      expect(sorted(values), 'McpServerStartupState values (schema vs protocol.ts)').toEqual(sorted(MCP_STARTUP_STATES));
    });
  });

  describe('turn input and injected items', () => {
    it('the text user input accepts `text_elements` as an array', () => {
      const textElements = schema.params('ClientRequest.json', 'turn/start').at('input[].<text>.text_elements');
      expect(textElements.items().where).toContain('text_elements[]');
    });

    it('thread/inject_items accepts our raw Responses-API message items', () => {
      const items = schema.params('ClientRequest.json', 'thread/inject_items').at('items[]');
      const s = items.resolved().schema;
      const unconstrained = s === true || (typeof s === 'object' && Object.keys(s).every((k) => k === 'description' || k === 'title'));
      if (unconstrained) return;
      // The items became typed: our `{type: 'message', role, content: [{type: 'input_text', text}]}` must fit.
      const message = items.variant('message');
      const missing = ['type', 'role', 'content'].filter((f) => !message.shape().properties.has(f));
      expect(missing, `${message.where}: fields of InjectedMessageItem the schema does not define`).toEqual([]);
      expect(message.at('role').stringValues(), `${message.where}.role`).toEqual(expect.arrayContaining(['developer', 'user']));
      const content = message.at('content[].<input_text>');
      expect(content.shape().properties.has('text'), `${content.where}: no \`text\``).toBe(true);
    });
  });
});
