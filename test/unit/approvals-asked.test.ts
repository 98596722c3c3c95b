/**
 * What src/dispatch/approvals/asked.ts shows and answers for request shapes observed from codex
 * 0.171 (the payloads below are trimmed copies of what the real app-server sent in
 * test/integration/approvals-kinds-web.test.ts and while exploring it), including the ones
 * the integration test does not reach: a deleted and a renamed file, a titled enum.
 */
import { describe, expect, it } from 'vitest';
import type { ThreadItem } from '../../src/codex/protocol.js';
import type { ServerRequest } from '../../src/codex/server-requests.js';
import { changeCounts, describeRequest } from '../../src/dispatch/approvals/asked.js';

const turn = { threadId: 't', turnId: 'u', itemId: 'ap', startedAtMs: 1 };

describe('file change prompts', () => {
  it('counts lines per kind: add = the new content, delete = the old content, update = the hunks', () => {
    expect(changeCounts({ path: '/w/new.txt', kind: { type: 'add' }, diff: 'one\ntwo\n' })).toEqual({ added: 2, removed: 0 });
    expect(changeCounts({ path: '/w/gone.txt', kind: { type: 'delete' }, diff: 'x\ny\n' })).toEqual({ added: 0, removed: 2 });
    expect(changeCounts({ path: '/w/old.txt', kind: { type: 'update', move_path: null }, diff: '@@ -1,3 +1,4 @@\n a\n-b\n+B\n+B2\n c\n' })).toEqual({
      added: 2,
      removed: 1,
    });
    // An added line whose text starts with "++" is still one added line.
    expect(changeCounts({ path: '/w/c.txt', kind: { type: 'update' }, diff: '@@ -1 +1 @@\n-x\n+++y\n' })).toEqual({ added: 1, removed: 1 });
    expect(changeCounts({ path: '/w/empty.txt', kind: { type: 'add' }, diff: '' })).toEqual({ added: 0, removed: 0 });
  });

  it('lists every file with what happens to it, a rename with its new path', () => {
    const item: ThreadItem = {
      type: 'fileChange',
      id: 'ap',
      status: 'inProgress',
      changes: [
        { path: '/w/gone.txt', kind: { type: 'delete' }, diff: 'x\ny\n' },
        { path: '/w/a.txt', kind: { type: 'update', move_path: '/w/b.txt' }, diff: '@@ -1 +1 @@\n-a\n+A\n' },
      ],
    };
    const request: ServerRequest = { id: 0, method: 'item/fileChange/requestApproval', params: { ...turn, reason: null, grantRoot: null } };
    const asked = describeRequest(request, item);
    expect(asked.body).toContain('- `/w/gone.txt` (deleted, +0 −2)');
    expect(asked.body).toContain('- `/w/a.txt` → `/w/b.txt` (changed, +1 −1)');
    expect(asked.summary).toBe('change 2 files');
  });
});

describe('permission prompts', () => {
  it('names a path codex sends both as a legacy list entry and as a rule once', () => {
    const request: ServerRequest = {
      id: 0,
      method: 'item/permissions/requestApproval',
      params: {
        ...turn,
        cwd: '/w',
        reason: 'write the report',
        permissions: {
          network: { enabled: true },
          fileSystem: { read: null, write: ['/out'], entries: [{ path: { type: 'path', path: '/out' }, access: 'write' }] },
        },
      },
    };
    const asked = describeRequest(request, null);
    expect(asked.body.split('\n\n')[0]).toBe('- write: `/out`\n- network access');
    expect(asked.summary).toBe('grant write: `/out`; network access');
    expect(asked.choices.map((c) => c.reply)).toEqual([
      { status: 'result', result: { permissions: request.params.permissions, scope: 'turn' } },
      { status: 'result', result: { permissions: request.params.permissions, scope: 'session' } },
      { status: 'result', result: { permissions: {}, scope: 'turn' } },
    ]);
  });
});

describe('elicitation prompts', () => {
  const elicitation = (params: Partial<Extract<ServerRequest, { method: 'mcpServer/elicitation/request' }>['params']>): ServerRequest => ({
    id: 0,
    method: 'mcpServer/elicitation/request',
    params: { threadId: 't', turnId: 'u', serverName: 'asker', mode: 'form', message: 'Pick one', _meta: null, ...params },
  });

  it('a titled single select (`oneOf` of {const, title}) gets one button per option, answering its const', () => {
    const asked = describeRequest(
      elicitation({
        requestedSchema: {
          type: 'object',
          properties: {
            size: {
              type: 'string',
              oneOf: [
                { const: 's', title: 'Small' },
                { const: 'l', title: 'Large' },
              ],
            },
          },
        },
      }),
      null,
    );
    expect(asked.choices.map((c) => c.label)).toEqual(['Small', 'Large', 'Decline', 'Cancel']);
    expect(asked.choices[1]?.reply).toEqual({ status: 'result', result: { action: 'accept', content: { size: 'l' } } });
  });

  it('codex’s own MCP tool-call approval is an approval; for the session = accept with _meta.persist', () => {
    const asked = describeRequest(
      elicitation({
        message: 'Allow the asker MCP server to run tool "choose_colour"?',
        requestedSchema: { type: 'object', properties: {} },
        _meta: { codex_approval_kind: 'mcp_tool_call', persist: ['session', 'always'], tool_name: 'choose_colour' },
      }),
      null,
    );
    expect(asked.title).toBe('🔐 Approval needed: use an MCP tool');
    expect(asked.summary).toBe('use asker tool choose_colour');
    expect(asked.choices.map((c) => [c.key, c.reply])).toEqual([
      ['accept', { status: 'result', result: { action: 'accept', content: {} } }],
      ['acceptForSession', { status: 'result', result: { action: 'accept', content: {}, _meta: { persist: 'session' } } }],
      ['decline', { status: 'result', result: { action: 'decline', content: null } }],
      ['cancel', { status: 'result', result: { action: 'cancel', content: null } }],
    ]);
    expect(asked.onTimeout('decline').key).toBe('decline');
  });
});
