/**
 * The Slack channel's inbound seam (src/channels/slack/inbound/gate.ts, api/receiver.ts) with the
 * REAL Bolt SDK against the fake Slack platform, in Socket Mode and over HTTP: events for another
 * workspace or app are dropped with one warning (issue 14 §3), payloads of the wrong shape are
 * acknowledged and logged instead of failing inside a listener (§7), `app_rate_limited` and other
 * callbacks without a listener are acknowledged at once (§8), and signed requests dated more than
 * five minutes in the past or the future are refused (§4).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { createSlackChannel, type SlackChannel } from '../../src/channels/slack/index.js';
import { STOP_ACTION_ID } from '../../src/channels/slack/outbound/live-blocks.js';
import type { ActionEvent } from '../../src/channels/live.js';
import type { InboundMessage } from '../../src/channels/types.js';
import { slackChannelSchema } from '../../src/config/schema.js';
import { capturedLog, LEVEL, type CapturedLog } from '../support/captured-log.js';
import { waitFor } from '../support/fake-clock.js';
import {
  appMention,
  blockActionsPayload,
  dmMessage,
  postEvent,
  postInteraction,
  startFakeSlack,
  type FakeSlack,
  type FakeSlackOptions,
  type PostEventOptions,
} from '../support/fake-slack/index.js';

const BOT_TOKEN = 'xoxb-guard-bot-token';
const APP_TOKEN = 'xapp-1-guard-app-token';
const SIGNING_SECRET = 'guard-signing-secret';
const FOREIGN_TEAM = 'T0OTHER';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await Promise.resolve(cleanups.pop()?.()).catch(() => undefined);
});

interface Harness {
  fake: FakeSlack;
  channel: SlackChannel;
  received: InboundMessage[];
  presses: ActionEvent[];
  log: CapturedLog;
  /** Delivers an events-API body (HTTP: signed POST; Socket Mode: `events_api` envelope); true when acknowledged with success. */
  deliver(body: Record<string, unknown>, opts?: PostEventOptions): Promise<boolean>;
  /** Delivers an interactivity payload (HTTP: form POST; Socket Mode: `interactive` envelope). */
  interact(payload: Record<string, unknown>): Promise<boolean>;
}

async function start(mode: 'socket' | 'http', fakeOpts: FakeSlackOptions = {}): Promise<Harness> {
  const fake = await startFakeSlack({ users: { U1: { name: 'ada' } }, ...fakeOpts });
  cleanups.push(() => fake.close());
  const config = slackChannelSchema.parse({
    id: 'team',
    type: 'slack',
    botToken: BOT_TOKEN,
    apiUrl: fake.apiUrl,
    ...(mode === 'socket' ? { appToken: APP_TOKEN } : { mode: 'http', signingSecret: SIGNING_SECRET, listen: '127.0.0.1:0', path: '/slack/events' }),
  });
  const log = capturedLog();
  const channel = createSlackChannel(config, { clock: systemClock, logger: log.logger });
  const received: InboundMessage[] = [];
  const presses: ActionEvent[] = [];
  await channel.start(
    async (m) => {
      received.push(m);
      return { status: 'duplicate' };
    },
    async (req) => {
      presses.push(req);
      return { status: 'stale', text: 'gone' };
    },
  );
  cleanups.push(() => channel.stop());
  const url = channel.eventsUrl;
  return {
    fake,
    channel,
    received,
    presses,
    log,
    async deliver(body, opts) {
      if (mode === 'socket') return (await fake.sendEnvelope('events_api', body)).acked;
      return (await postEvent(url!, SIGNING_SECRET, body, opts)).status === 200;
    },
    async interact(payload) {
      if (mode === 'socket') return (await fake.sendEnvelope('interactive', payload)).acked;
      return (await postInteraction(url!, SIGNING_SECRET, payload)).status === 200;
    },
  };
}

/** Delivers an own DM and waits until the handler has it: later than anything delivered before it. */
async function ownMessageStillAnswered(h: Harness, text: string): Promise<void> {
  const before = h.received.length;
  expect(await h.deliver(h.fake.eventCallback(dmMessage({ user: 'U1', channel: 'D1', text })))).toBe(true);
  await waitFor(() => h.received.length > before, 5000, `own message "${text}"`);
  expect(h.received.map((m) => m.text)).toEqual([...h.received.slice(0, before).map((m) => m.text), text]);
}

describe.each(['socket', 'http'] as const)('Slack inbound seam (%s)', (mode) => {
  it('§3: an event for another workspace or another app is acked, dropped and logged once; own and Slack Connect events are answered', async () => {
    const h = await start(mode);
    expect(h.channel.identity).toMatchObject({ teamId: 'T0FAKE', appId: 'A1' });
    const mention = (text: string) => appMention({ user: 'U1', channel: 'C1', text: `<@UBOT> ${text}` });

    // Another workspace's installation of the app.
    expect(await h.deliver(h.fake.eventCallback(mention('foreign team'), { teamId: FOREIGN_TEAM, eventId: 'EvTEAM' }))).toBe(true);
    const team = await h.log.waitForLine('for another app or workspace', (l) => l.event_id === 'EvTEAM');
    expect(team).toMatchObject({ level: LEVEL.warn, reason: 'other_workspace', team_id: FOREIGN_TEAM, api_app_id: 'A1' });

    // Another app (same signing secret / connection).
    expect(await h.deliver(h.fake.eventCallback(mention('foreign app'), { appId: 'A0OTHER', eventId: 'EvAPP' }))).toBe(true);
    const app = await h.log.waitForLine('for another app or workspace', (l) => l.event_id === 'EvAPP');
    expect(app).toMatchObject({ level: LEVEL.warn, reason: 'other_app', api_app_id: 'A0OTHER' });

    // An org-wide authorisation of another Grid org, no team.
    const grid = {
      ...h.fake.eventCallback(mention('foreign org'), { eventId: 'EvORG' }),
      team_id: null,
      context_team_id: null,
      authorizations: [{ team_id: null, enterprise_id: 'E0OTHER', user_id: 'UBOT', is_bot: true, is_enterprise_install: true }],
    };
    expect(await h.deliver(grid)).toBe(true);
    await h.log.waitForLine('for another app or workspace', (l) => l.event_id === 'EvORG');

    // Slack Connect: the wrapper's team is the other org, the authorisation names ours.
    const shared = { ...h.fake.eventCallback(mention('from a shared channel'), { teamId: FOREIGN_TEAM }) };
    shared.authorizations = [{ enterprise_id: null, team_id: 'T0FAKE', user_id: 'UBOT', is_bot: true, is_enterprise_install: false }];
    shared.context_team_id = 'T0FAKE';
    expect(await h.deliver(shared)).toBe(true);
    await waitFor(() => h.received.length === 1, 5000, 'the Slack Connect message');
    expect(h.received[0]).toMatchObject({ text: 'from a shared channel', mentionsBot: true });

    await ownMessageStillAnswered(h, 'own');
    expect(h.received.map((m) => m.text)).toEqual(['from a shared channel', 'own']);
    expect(h.log.find('for another app or workspace')).toHaveLength(3);
  });

  it('§3: a button press from another app or workspace never reaches the action handler', async () => {
    const h = await start(mode);
    const press = { user: 'U1', channel: 'C1', messageTs: '1700000001.000100', actionId: STOP_ACTION_ID, value: 'live-1' };
    expect(await h.interact(blockActionsPayload({ ...press, teamId: 'T0FAKE', appId: 'A0OTHER' }))).toBe(true);
    await h.log.waitForLine('for another app or workspace', (l) => l.callback === 'block_actions' && l.reason === 'other_app');
    expect(await h.interact(blockActionsPayload({ ...press, teamId: FOREIGN_TEAM }))).toBe(true);
    await h.log.waitForLine('for another app or workspace', (l) => l.callback === 'block_actions' && l.reason === 'other_workspace');
    expect(await h.interact(blockActionsPayload({ ...press, teamId: 'T0FAKE' }))).toBe(true);
    await waitFor(() => h.presses.length === 1, 5000, 'own press');
    expect(h.presses).toEqual([expect.objectContaining({ actionId: 'live-1', user: { id: 'U1', name: 'U1' }, conversation: 'C1' })]);
  });

  it('§7: a payload of the wrong shape is acked and logged once, never an error inside a listener', async () => {
    const h = await start(mode);
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['text is a number', h.fake.eventCallback({ ...dmMessage({ user: 'U1', channel: 'D1', text: 'x' }), text: 42 }, { eventId: 'EvTEXT' }), 'event.text'],
      [
        'channel is an object',
        h.fake.eventCallback({ ...dmMessage({ user: 'U1', channel: 'D1', text: 'x' }), channel: { id: 'D1' } }, { eventId: 'EvCHAN' }),
        'event.channel',
      ],
      [
        'files is not an array',
        h.fake.eventCallback({ ...dmMessage({ user: 'U1', channel: 'D1', text: 'x' }), files: 'f.txt' }, { eventId: 'EvFILES' }),
        'event.files',
      ],
      [
        'authorizations is not an array',
        { ...h.fake.eventCallback(dmMessage({ user: 'U1', channel: 'D1', text: 'x' }), { eventId: 'EvAUTH' }), authorizations: 'mine' },
        'authorizations',
      ],
      [
        'event has no type',
        { ...h.fake.eventCallback(dmMessage({ user: 'U1', channel: 'D1', text: 'x' }), { eventId: 'EvNOTYPE' }), event: { text: 'x' } },
        'event.type',
      ],
    ];
    for (const [what, body, path] of cases) {
      expect(await h.deliver(body), what).toBe(true);
      const line = await h.log.waitForLine('slack payload malformed', (l) => l.event_id === body.event_id);
      expect(line.level, what).toBe(LEVEL.warn);
      expect(String(line.issues), what).toContain(path);
    }
    const press = blockActionsPayload({ user: 'U1', channel: 'C1', messageTs: '1700000001.000100', actionId: STOP_ACTION_ID, value: 'v', teamId: 'T0FAKE' });
    expect(await h.interact({ ...press, actions: { action_id: STOP_ACTION_ID } })).toBe(true);
    await h.log.waitForLine('slack payload malformed', (l) => l.callback === 'block_actions' && String(l.issues).includes('actions'));
    expect(await h.interact({ ...press, user: 'U1' })).toBe(true);
    await h.log.waitForLine('slack payload malformed', (l) => l.callback === 'block_actions' && String(l.issues).includes('user'));

    await ownMessageStillAnswered(h, 'fine');
    expect(h.received.map((m) => m.text)).toEqual(['fine']);
    expect(h.presses).toEqual([]);
    expect(h.log.find('slack payload malformed')).toHaveLength(cases.length + 2);
    expect(h.log.lines.filter((l) => (l.level ?? 0) >= LEVEL.error)).toEqual([]);
  });

  it('§8: callbacks without a listener (unknown type, slash command, view submission; HTTP: app_rate_limited) are acked and logged', async () => {
    const h = await start(mode);
    if (mode === 'http') {
      // Events API only (api.slack.com/events/app_rate_limited): a top-level callback, no inner event.
      const limited = { token: 'fake-verification-token', type: 'app_rate_limited', team_id: 'T0FAKE', minute_rate_limited: 1_518_467_820, api_app_id: 'A1' };
      expect(await h.deliver(limited)).toBe(true);
      expect(await h.log.waitForLine('app_rate_limited')).toMatchObject({ level: LEVEL.warn, team_id: 'T0FAKE', minute_rate_limited: 1_518_467_820 });
      expect(await h.deliver({ type: 'brand_new_callback', team_id: 'T0FAKE' })).toBe(true);
      expect(await h.log.waitForLine('not handled by this service', (l) => l.callback === 'brand_new_callback')).toMatchObject({ level: LEVEL.info });
    } else {
      expect(
        (await h.fake.sendEnvelope('slash_commands', { command: '/switchboard', text: 'hi', team_id: 'T0FAKE', channel_id: 'C1', user_id: 'U1' })).acked,
      ).toBe(true);
      expect(await h.log.waitForLine('not handled by this service', (l) => l.callback === 'command /switchboard')).toMatchObject({ level: LEVEL.info });
    }
    expect(await h.interact({ type: 'view_submission', team: { id: 'T0FAKE' }, user: { id: 'U1' }, view: { id: 'V1' } })).toBe(true);
    await h.log.waitForLine('not handled by this service', (l) => l.callback === 'view_submission');
    await ownMessageStillAnswered(h, 'still here');
    expect(h.log.lines.filter((l) => (l.level ?? 0) >= LEVEL.error)).toEqual([]);
  });
});

describe('Slack inbound seam in Socket Mode only', () => {
  it('§7: an events_api envelope without an event object is acked and logged by the seam, not an unhandled rejection in the SDK', async () => {
    const h = await start('socket');
    const cases: Array<[Record<string, unknown> | null, string]> = [
      [{ type: 'app_rate_limited', team_id: 'T0FAKE', api_app_id: 'A1', minute_rate_limited: 1 }, 'app_rate_limited'],
      [{ type: 'event_callback', team_id: 'T0FAKE', api_app_id: 'A1', event: 'x' }, 'slack payload malformed'],
      [null, 'not handled by this service'],
    ];
    for (const [payload, line] of cases) {
      expect((await h.fake.sendEnvelope('events_api', payload as Record<string, unknown>)).acked).toBe(true);
      await h.log.waitForLine(line);
    }
    await ownMessageStillAnswered(h, 'after bad envelopes');
    expect(h.log.lines.filter((l) => (l.level ?? 0) >= LEVEL.error)).toEqual([]);
  });
});

describe('Slack inbound seam over HTTP only', () => {
  it('§8: app_rate_limited gets its 200 straight away, not the unhandled-request 404 after 3 s', async () => {
    const h = await start('http');
    const res = await postEvent(h.channel.eventsUrl!, SIGNING_SECRET, {
      type: 'app_rate_limited',
      team_id: 'T0FAKE',
      minute_rate_limited: 1,
      api_app_id: 'A1',
    });
    expect(res.status).toBe(200);
    expect(h.log.find('not acknowledged within 3 seconds')).toEqual([]);
  });

  it('§4: signed requests dated 10 minutes in the past or in the future are refused 401 with one warning; a fresh one is accepted', async () => {
    const h = await start('http');
    const now = Math.floor(Date.now() / 1000);
    const body = () => h.fake.eventCallback(dmMessage({ user: 'U1', channel: 'D1', text: 'replayed' }));
    const past = await postEvent(h.channel.eventsUrl!, SIGNING_SECRET, body(), { timestampSec: now - 600 });
    const future = await postEvent(h.channel.eventsUrl!, SIGNING_SECRET, body(), { timestampSec: now + 600 });
    expect([past.status, future.status]).toEqual([401, 401]);
    const lines = h.log.find('timestamp outside the 5-minute window');
    expect(lines.map((l) => [l.level, l.reason])).toEqual([
      [LEVEL.warn, 'stale'],
      [LEVEL.warn, 'future'],
    ]);
    // Within the window on both sides (4 minutes off) and now: accepted.
    for (const ts of [now - 240, now + 240, now]) {
      expect(
        (
          await postEvent(h.channel.eventsUrl!, SIGNING_SECRET, h.fake.eventCallback(dmMessage({ user: 'U1', channel: 'D1', text: `at ${ts - now}` })), {
            timestampSec: ts,
          })
        ).status,
      ).toBe(200);
    }
    await waitFor(() => h.received.length === 3, 5000, 'three fresh messages');
    expect(h.received.map((m) => m.text).sort()).toEqual(['at -240', 'at 0', 'at 240']);
  });

  it('§7: a signed body that is JSON but not an object is refused 400 (Bolt would reject unhandled on null); the listener keeps serving', async () => {
    const h = await start('http');
    const url = h.channel.eventsUrl!;
    for (const body of ['null', '42', '[]', '"x"']) expect((await postEvent(url, SIGNING_SECRET, body)).status, body).toBe(400);
    const form = new URLSearchParams({ payload: 'null' }).toString();
    expect((await postEvent(url, SIGNING_SECRET, form, { contentType: 'application/x-www-form-urlencoded' })).status).toBe(400);
    expect(h.log.find('payload malformed')).toHaveLength(5);
    expect((await postEvent(url, SIGNING_SECRET, '{"type": "event_callback", ')).status).toBe(400);
    expect(
      (await postEvent(url, SIGNING_SECRET, h.fake.eventCallback(dmMessage({ user: 'U1', channel: 'D1', text: 'x' })), { tamper: 'signature' })).status,
    ).toBe(401);
    expect((await fetch(url.replace('/slack/events', '/elsewhere'), { method: 'POST', body: '{}' })).status).toBe(404);
    await ownMessageStillAnswered(h, 'served');
  });

  it('§3: without app_id from auth.test the app id comes from bots.info, and foreign apps are still dropped', async () => {
    const h = await start('http', { authTestAppId: false });
    expect(h.fake.callsTo('bots.info')).toHaveLength(1);
    expect(h.channel.identity?.appId).toBe('A1');
    expect(await h.deliver(h.fake.eventCallback(dmMessage({ user: 'U1', channel: 'D1', text: 'x' }), { appId: 'A0OTHER', eventId: 'EvBOTS' }))).toBe(true);
    await h.log.waitForLine('for another app or workspace', (l) => l.event_id === 'EvBOTS');
    await ownMessageStillAnswered(h, 'mine');
  });
});
