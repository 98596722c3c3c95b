/**
 * What a Codex server request asks, for a person in chat: a title, a Markdown body (the command
 * in a code block, its cwd and reason; the files of a change; the permissions; the question) and
 * the answers it offers, each with the reply codex gets. Pure: no I/O.
 *
 * Answers per request (codex app-server v2, `@openai/codex@0.171.0` schema):
 * - command / file change: `accept`, `acceptForSession` (not for `kind: humanCommand`), `decline`
 *   (the agent continues without it), `cancel` (the turn stops too);
 * - permissions: grant the requested profile for the turn or the session, or grant nothing;
 * - `request_user_input`: one question at a time, its options as buttons, free text by a reply;
 * - MCP elicitation: accept / decline / cancel; a form of one field takes a reply (string) or
 *   buttons (enum — plain `enum` or titled `oneOf` options — and boolean); other forms cannot be
 *   filled in chat and offer decline / cancel. Codex's own approval of an MCP tool call (an
 *   elicitation whose `_meta.codex_approval_kind` is `mcp_tool_call`, empty form) is shown as an
 *   approval: Approve (`accept`), Approve for this session (`accept` with `_meta.persist =
 *   'session'`, where `_meta.persist` offers it), Decline, Cancel.
 *
 * File changes: codex announces them on the `fileChange` item, one entry per file, whose `diff`
 * is the new content (add), the old content (delete) or unified-diff hunks (update), as observed
 * with codex 0.171 (see src/codex/protocol.ts `FileUpdateChange`); the prompt shows each file with
 * its added/removed line counts. Driven for real by test/integration/approvals-kinds-web.test.ts.
 */
import type { ApprovalKind } from '../../state/types.js';
import type { FileSystemEntry, PermissionProfile, ServerRequest, ServerRequestReply, UserInputQuestion } from '../../codex/server-requests.js';
import type { FileUpdateChange, ThreadItem } from '../../codex/protocol.js';

/** One answer a person can give. */
export interface Choice {
  /** Stable key, logged and kept in state (`accept`, `decline`, an option label…). */
  key: string;
  label: string;
  style?: 'primary' | 'danger';
  /** Past tense for the settled message, e.g. "Approved". */
  done: string;
  reply: ServerRequestReply;
}

/** What to show and offer for one request (or for the current question of a multi-question request). */
export interface Asked {
  kind: ApprovalKind;
  title: string;
  body: string;
  /** One line for status, logs and state. */
  summary: string;
  choices: Choice[];
  /** A reply in the thread answers this (free text): builds the reply from the text; null = buttons only. */
  fromText: ((text: string) => ServerRequestReply) | null;
  /** The answer a timeout gives. */
  onTimeout(decision: 'decline' | 'cancel'): Choice;
}

const fence = (text: string): string => {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}\n${text}\n${ticks}`;
};

const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function decisionChoices(allowSession: boolean): Choice[] {
  const r = (decision: 'accept' | 'acceptForSession' | 'decline' | 'cancel'): ServerRequestReply =>
    ({ status: 'result', result: { decision } }) as ServerRequestReply;
  const choices: Choice[] = [{ key: 'accept', label: 'Approve', style: 'primary', done: 'Approved', reply: r('accept') }];
  if (allowSession)
    choices.push({ key: 'acceptForSession', label: 'Approve for this session', done: 'Approved for this session', reply: r('acceptForSession') });
  choices.push({ key: 'decline', label: 'Decline', style: 'danger', done: 'Declined', reply: r('decline') });
  choices.push({ key: 'cancel', label: 'Cancel turn', style: 'danger', done: 'Declined and the turn cancelled', reply: r('cancel') });
  return choices;
}

function pick(choices: Choice[], key: 'decline' | 'cancel'): Choice {
  return choices.find((c) => c.key === key) ?? (choices[choices.length - 1] as Choice);
}

function withReason(lines: string[], reason: string | null | undefined): string[] {
  return reason ? [...lines, `**Why:** ${reason}`] : lines;
}

const countLines = (text: string): number => (text === '' ? 0 : text.replace(/\n$/, '').split('\n').length);

/** Lines added and removed by one file change (see the module header for what `diff` holds). */
export function changeCounts(change: FileUpdateChange): { added: number; removed: number } {
  if (change.kind.type === 'add') return { added: countLines(change.diff), removed: 0 };
  if (change.kind.type === 'delete') return { added: 0, removed: countLines(change.diff) };
  let added = 0;
  let removed = 0;
  for (const line of change.diff.split('\n')) {
    if (line.startsWith('+')) added++;
    else if (line.startsWith('-')) removed++;
  }
  return { added, removed };
}

function describeChange(change: FileUpdateChange): string {
  const { added, removed } = changeCounts(change);
  const moved = change.kind.type === 'update' && change.kind.move_path ? ` → \`${change.kind.move_path}\`` : '';
  const what = change.kind.type === 'add' ? 'new file' : change.kind.type === 'delete' ? 'deleted' : 'changed';
  return `- \`${change.path}\`${moved} (${what}, +${added} −${removed})`;
}

function describeEntry(e: FileSystemEntry): string {
  const where =
    e.path.type === 'path'
      ? `\`${e.path.path}\``
      : e.path.type === 'glob_pattern'
        ? `\`${e.path.pattern}\``
        : `${e.path.value.kind}${e.path.value.subpath ? ` \`${e.path.value.subpath}\`` : ''}`;
  return `${e.access === 'deny' ? 'no access to' : e.access}: ${where}`;
}

/** One line per permission asked; a path codex lists both as a rule and in `read`/`write` is named once. */
function describePermissions(permissions: PermissionProfile): string[] {
  const fs = permissions.fileSystem;
  const grants: string[] = [];
  const entries = fs?.entries ?? [];
  const asRule = new Set(entries.flatMap((e) => (e.path.type === 'path' ? [`${e.access} ${e.path.path}`] : [])));
  const legacy = (access: 'read' | 'write', paths: string[] | null | undefined): void => {
    const rest = (paths ?? []).filter((x) => !asRule.has(`${access} ${x}`));
    if (rest.length > 0) grants.push(`${access}: ${rest.map((x) => `\`${x}\``).join(', ')}`);
  };
  legacy('read', fs?.read);
  legacy('write', fs?.write);
  for (const e of entries) grants.push(describeEntry(e));
  if (permissions.network?.enabled) grants.push('network access');
  return grants;
}

/** Describes `request`; `item` is the item codex announced for it (file changes carry their diffs there). */
export function describeRequest(request: ServerRequest, item: ThreadItem | null): Asked {
  switch (request.method) {
    case 'item/commandExecution/requestApproval': {
      const p = request.params;
      const command = p.command ?? (item?.type === 'commandExecution' ? item.command : '(command not shown)');
      const choices = decisionChoices(p.kind !== 'humanCommand');
      return {
        kind: 'command',
        title: '🔐 Approval needed: run a command',
        body: withReason([fence(command), ...(p.cwd ? [`**In:** \`${p.cwd}\``] : [])], p.reason).join('\n\n'),
        summary: `run \`${clip(command.replace(/\s+/g, ' '), 120)}\`${p.cwd ? ` in ${p.cwd}` : ''}`,
        choices,
        fromText: null,
        onTimeout: (d) => pick(choices, d),
      };
    }
    case 'item/fileChange/requestApproval': {
      const p = request.params;
      const changes = item?.type === 'fileChange' ? item.changes : [];
      const files = changes.map(describeChange);
      const choices = decisionChoices(true);
      const lines = files.length > 0 ? files.slice(0, 20) : ['(the files were not announced)'];
      if (files.length > 20) lines.push(`- … and ${files.length - 20} more`);
      if (p.grantRoot) lines.push(`**Asks to write under:** \`${p.grantRoot}\` for the rest of the session`);
      return {
        kind: 'fileChange',
        title: '🔐 Approval needed: change files',
        body: withReason([lines.join('\n')], p.reason).join('\n\n'),
        summary: `change ${changes.length === 1 ? `\`${changes[0]?.path}\`` : `${changes.length} files`}`,
        choices,
        fromText: null,
        onTimeout: (d) => pick(choices, d),
      };
    }
    case 'item/permissions/requestApproval': {
      const p = request.params;
      const grants = describePermissions(p.permissions);
      const grant = (scope: 'turn' | 'session'): ServerRequestReply =>
        ({ status: 'result', result: { permissions: p.permissions, scope } }) as ServerRequestReply;
      const none: ServerRequestReply = { status: 'result', result: { permissions: {}, scope: 'turn' } } as ServerRequestReply;
      const choices: Choice[] = [
        { key: 'grantTurn', label: 'Grant for this turn', style: 'primary', done: 'Granted for this turn', reply: grant('turn') },
        { key: 'grantSession', label: 'Grant for this session', done: 'Granted for this session', reply: grant('session') },
        { key: 'decline', label: 'Decline', style: 'danger', done: 'Declined', reply: none },
      ];
      return {
        kind: 'permissions',
        title: '🔐 Approval needed: more permissions',
        body: withReason([(grants.length ? grants : ['(no details)']).map((g) => `- ${g}`).join('\n'), `**In:** \`${p.cwd}\``], p.reason).join('\n\n'),
        summary: `grant ${grants.length ? clip(grants.join('; '), 160) : 'permissions'}`,
        choices,
        fromText: null,
        onTimeout: () => choices[2] as Choice,
      };
    }
    case 'item/tool/requestUserInput':
      throw new Error('questions are asked one at a time: use describeQuestion');
    case 'mcpServer/elicitation/request':
      return describeElicitation(request.params);
  }
}

/**
 * The `index`-th question of a `request_user_input`; `answer` builds the whole reply once every
 * question has an answer (the caller keeps the answers given so far).
 */
export function describeQuestion(q: UserInputQuestion, index: number, total: number, answered: (answer: string) => ServerRequestReply): Asked {
  const options = q.options ?? [];
  const choices: Choice[] = options.map((o) => ({ key: o.label, label: clip(o.label, 30), done: `Answered “${o.label}”`, reply: answered(o.label) }));
  const decline: Choice = { key: 'decline', label: 'Skip', done: 'Not answered', reply: { status: 'error', message: 'the user did not answer' } };
  const free = q.isOther === true || options.length === 0;
  const lines = [`**${q.header}**${total > 1 ? ` (${index + 1} of ${total})` : ''}`, q.question];
  const described = options.filter((o) => o.description).map((o) => `- **${o.label}**: ${o.description}`);
  if (described.length > 0) lines.push(described.join('\n'));
  if (free) lines.push(q.isSecret ? '_Reply in this thread to answer (the reply is visible to everyone here)._' : '_Reply in this thread to answer._');
  return {
    kind: 'question',
    title: '❓ The agent asks',
    body: lines.join('\n\n'),
    summary: `asks: ${clip(q.question, 120)}`,
    choices: [...choices, decline],
    fromText: free ? (text) => answered(text) : null,
    onTimeout: () => decline,
  };
}

interface FieldSchema {
  type?: string;
  title?: string;
  /** Untitled single select (and the legacy titled one, with `enumNames`). */
  enum?: unknown[];
  enumNames?: string[];
  /** Titled single select. */
  oneOf?: { const?: unknown; title?: string }[];
}

type ElicitationRequestParams = Extract<ServerRequest, { method: 'mcpServer/elicitation/request' }>['params'];

/** The options of a single-select field: value sent, label shown; null when the field is not one. */
function enumOptions(f: FieldSchema): { value: string; label: string }[] | null {
  if (Array.isArray(f.enum)) return f.enum.map((v, i) => ({ value: String(v), label: f.enumNames?.[i] ?? String(v) }));
  if (Array.isArray(f.oneOf) && f.oneOf.every((o) => o.const !== undefined))
    return f.oneOf.map((o) => ({ value: String(o.const), label: o.title ?? String(o.const) }));
  return null;
}

/** Codex's own elicitation asking to approve an MCP tool call (see src/codex/server-requests.ts `CodexToolApprovalMeta`). */
function toolApprovalMeta(p: ElicitationRequestParams): { tool: string | null; persist: string[] } | null {
  const meta = p._meta;
  if (meta?.codex_approval_kind !== 'mcp_tool_call') return null;
  const tool = typeof meta.tool_name === 'string' ? meta.tool_name : null;
  const persist = Array.isArray(meta.persist) ? meta.persist.filter((x): x is string => typeof x === 'string') : [];
  return { tool, persist };
}

type ElicitationResult = Extract<ServerRequestReply<'mcpServer/elicitation/request'>, { status: 'result' }>['result'];

function describeElicitation(p: ElicitationRequestParams): Asked {
  const result = (action: ElicitationResult['action'], content: unknown = null, meta?: Record<string, unknown>): ServerRequestReply =>
    ({ status: 'result', result: { action, content, ...(meta ? { _meta: meta } : {}) } }) as ServerRequestReply;
  const decline: Choice = { key: 'decline', label: 'Decline', style: 'danger', done: 'Declined', reply: result('decline') };
  const cancel: Choice = { key: 'cancel', label: 'Cancel', style: 'danger', done: 'Cancelled', reply: result('cancel') };
  const approval = toolApprovalMeta(p);
  if (approval) {
    const choices: Choice[] = [{ key: 'accept', label: 'Approve', style: 'primary', done: 'Approved', reply: result('accept', {}) }];
    if (approval.persist.includes('session'))
      choices.push({
        key: 'acceptForSession',
        label: 'Approve for this session',
        done: 'Approved for this session',
        reply: result('accept', {}, { persist: 'session' }),
      });
    choices.push(decline, cancel);
    return {
      kind: 'elicitation',
      title: '🔐 Approval needed: use an MCP tool',
      body: [p.message, `**Server:** \`${p.serverName}\`${approval.tool ? ` · **Tool:** \`${approval.tool}\`` : ''}`].join('\n\n'),
      summary: `use ${p.serverName} tool ${approval.tool ?? '(unnamed)'}`,
      choices,
      fromText: null,
      onTimeout: (d) => (d === 'cancel' ? cancel : decline),
    };
  }
  const lines = [`**${p.serverName}** asks:`, p.message];
  let choices: Choice[] = [decline, cancel];
  let fromText: Asked['fromText'] = null;
  if (p.mode === 'url') {
    lines.push(`Open: ${p.url ?? '(no url)'}`);
    choices = [{ key: 'accept', label: 'Done', style: 'primary', done: 'Accepted', reply: result('accept') }, decline, cancel];
  } else {
    const schema = (p.requestedSchema ?? {}) as { properties?: Record<string, FieldSchema> };
    const fields = Object.entries(schema.properties ?? {});
    if (fields.length === 0) choices = [{ key: 'accept', label: 'Accept', style: 'primary', done: 'Accepted', reply: result('accept', {}) }, decline, cancel];
    else if (fields.length === 1) {
      const [name, f] = fields[0] as [string, FieldSchema];
      const options = enumOptions(f);
      if (options) {
        choices = [
          ...options.map(
            (o): Choice => ({ key: o.value, label: clip(o.label, 30), done: `Answered “${o.label}”`, reply: result('accept', { [name]: o.value }) }),
          ),
          decline,
          cancel,
        ];
      } else if (f.type === 'boolean') {
        choices = [
          { key: 'yes', label: 'Yes', style: 'primary', done: 'Answered yes', reply: result('accept', { [name]: true }) },
          { key: 'no', label: 'No', done: 'Answered no', reply: result('accept', { [name]: false }) },
          cancel,
        ];
      } else if (f.type === 'string') {
        lines.push(`_Reply in this thread with the ${f.title ?? name}._`);
        fromText = (text) => result('accept', { [name]: text });
      } else lines.push('_This form cannot be filled in chat._');
    } else lines.push('_This form has several fields and cannot be filled in chat._');
  }
  return {
    kind: 'elicitation',
    title: '❓ A tool asks',
    body: lines.join('\n\n'),
    summary: `${p.serverName} asks: ${clip(p.message, 120)}`,
    choices,
    fromText,
    onTimeout: (d) => (d === 'cancel' ? cancel : decline),
  };
}
