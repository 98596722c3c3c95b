import { describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../src/channels/types.js';
import { parseConfig } from '../../src/config/load.js';
import { AccessGate, accessRefusal, parseCommand, type ChannelAccess } from '../../src/dispatch/gate.js';
import { Router } from '../../src/dispatch/router.js';

const config = parseConfig({
  channels: [
    { id: 'local', type: 'web' },
    { id: 'team', type: 'web', listen: '127.0.0.1:0' },
  ],
  dispatchers: [
    { id: 'main', bindings: [{ channel: 'local' }, { channel: 'team', conversation: 'C-ops' }] },
    { id: 'loose', bindings: [{ channel: 'team', conversation: 'C-chatty', requireMention: false }] },
  ],
  routing: { defaultDispatcher: 'main' },
});

function msg(over: Partial<InboundMessage> = {}): InboundMessage {
  return {
    channelId: 'team',
    conversation: 'C-ops',
    messageId: '1.0',
    sender: { id: 'U1' },
    text: 'hello',
    receivedAt: 0,
    isDirect: false,
    mentionsBot: true,
    ...over,
  };
}

function gate(access: Record<string, ChannelAccess>): AccessGate {
  return new AccessGate(new Router(config), new Map(Object.entries(access)));
}

describe('parseCommand', () => {
  it('recognises stop and status with or without a slash, in any case', () => {
    expect(['stop', '/stop', ' STOP ', 'status', '/Status'].map((t) => parseCommand(t)?.name)).toEqual(['stop', 'stop', 'stop', 'status', 'status']);
  });
  it('leaves ordinary sentences alone', () => {
    expect(['stop it', 'what is the status?', '//stop', ''].map(parseCommand)).toEqual([null, null, null, null]);
  });
});

describe('AccessGate', () => {
  const open = gate({ team: {}, local: { everyoneIsAdmin: true } });

  it('routes a mentioned message to the bound dispatcher', () => {
    expect(open.decide(msg())).toEqual({ status: 'turn', dispatcherId: 'main' });
  });

  it('ignores a shared-conversation message without a mention, unless the binding allows it', () => {
    expect(open.decide(msg({ mentionsBot: false }))).toEqual({ status: 'ignore', reason: 'no_mention' });
    expect(open.decide(msg({ mentionsBot: false, conversation: 'C-chatty' }))).toEqual({ status: 'turn', dispatcherId: 'loose' });
    expect(open.decide(msg({ mentionsBot: false, isDirect: true, conversation: 'D1' }))).toEqual({ status: 'turn', dispatcherId: 'main' });
  });

  it('sends unbound conversations to the default dispatcher, mention required', () => {
    expect(open.decide(msg({ conversation: 'C-other' }))).toEqual({ status: 'turn', dispatcherId: 'main' });
    expect(open.decide(msg({ conversation: 'C-other', mentionsBot: false }))).toEqual({ status: 'ignore', reason: 'no_mention' });
  });

  it('enforces user and conversation allowlists before anything else', () => {
    const strict = gate({ team: { access: { users: ['U1'], conversations: ['C-ops'], admins: [] } } });
    expect(strict.decide(msg({ sender: { id: 'U2' } }))).toEqual({ status: 'ignore', reason: 'user_not_allowed' });
    expect(strict.decide(msg({ conversation: 'C-chatty' }))).toEqual({ status: 'ignore', reason: 'conversation_not_allowed' });
    expect(strict.decide(msg({ text: 'stop', sender: { id: 'U9' } }))).toEqual({ status: 'ignore', reason: 'user_not_allowed' });
  });

  it('tells whether the sender of a command is an admin (everyone on the local web chat)', () => {
    const admins = gate({ team: { access: { admins: ['U-admin'] } }, local: { everyoneIsAdmin: true } });
    expect(admins.decide(msg({ text: 'stop', sender: { id: 'U-admin' } }))).toEqual({
      status: 'command',
      command: { name: 'stop' },
      dispatcherId: 'main',
      admin: true,
    });
    expect(admins.decide(msg({ text: '/status' }))).toEqual({ status: 'command', command: { name: 'status' }, dispatcherId: 'main', admin: false });
    expect(admins.decide(msg({ channelId: 'local', conversation: 'general', text: 'status', isDirect: true }))).toMatchObject({ admin: true });
  });

  it('parses the session commands: new/reset, queue, cancel N (a bare word, any case, optional slash)', () => {
    expect(parseCommand('new')).toEqual({ name: 'new' });
    expect(parseCommand(' /Reset ')).toEqual({ name: 'new' });
    expect(parseCommand('queue')).toEqual({ name: 'queue' });
    expect(parseCommand('cancel 2')).toEqual({ name: 'cancel', position: 2 });
    expect(parseCommand('/cancel #3')).toEqual({ name: 'cancel', position: 3 });
    expect(parseCommand('cancel')).toEqual({ name: 'cancel', position: null });
    expect(parseCommand('new 2')).toBeNull();
    expect(parseCommand('a new idea')).toBeNull();
    expect(parseCommand('cancel the meeting')).toBeNull();
  });
});

describe('accessRefusal (the access-list rule the gate applies first)', () => {
  it('absent lists admit everyone; the users list is checked before the conversations list', () => {
    expect(accessRefusal(undefined, { senderId: 'U9', conversation: 'C9' })).toBeNull();
    expect(accessRefusal({ admins: [] }, { senderId: 'U9', conversation: 'C9' })).toBeNull();
    const lists = { users: ['U1'], conversations: ['C1'], admins: [] };
    expect(accessRefusal(lists, { senderId: 'U1', conversation: 'C1' })).toBeNull();
    expect(accessRefusal(lists, { senderId: 'U9', conversation: 'C9' })).toBe('user_not_allowed');
    expect(accessRefusal(lists, { senderId: 'U1', conversation: 'C9' })).toBe('conversation_not_allowed');
    expect(gate({ team: { access: lists } }).decide(msg({ sender: { id: 'U9' } }))).toEqual({ status: 'ignore', reason: 'user_not_allowed' });
  });
});
