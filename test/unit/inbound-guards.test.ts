/**
 * The pure checks of the inbound seams: Slack's "is this event ours" rule
 * (src/channels/slack/inbound/identity-guard.ts, through the gate's schema) and the two-sided
 * timestamp window of signed requests (src/channels/signed-window.ts).
 */
import { describe, expect, it } from 'vitest';
import { checkRequestTimestamp } from '../../src/channels/signed-window.js';
import { inspectSlackBody } from '../../src/channels/slack/inbound/gate.js';
import type { OwnSlackIdentity } from '../../src/channels/slack/inbound/identity-guard.js';

const OWN: OwnSlackIdentity = { teamId: 'T1', appId: 'A1' };
const GRID: OwnSlackIdentity = { enterpriseId: 'E1', teamId: 'T1', appId: 'A1' };
const event = { type: 'message', channel: 'D1', user: 'U1', text: 'hi', ts: '1.1' };
const wrapper = (over: Record<string, unknown> = {}) => ({ type: 'event_callback', api_app_id: 'A1', team_id: 'T1', event_id: 'Ev1', event, ...over });
const verdict = (body: unknown, own: OwnSlackIdentity = OWN) => {
  const v = inspectSlackBody(body, own);
  return v.pass ? 'pass' : (v.fields.reason ?? v.message);
};

describe('Slack: whose event is it', () => {
  it('own workspace and app pass; another app or workspace does not', () => {
    expect(verdict(wrapper())).toBe('pass');
    expect(verdict(wrapper({ api_app_id: 'A2' }))).toBe('other_app');
    expect(verdict(wrapper({ team_id: 'T2' }))).toBe('other_workspace');
    expect(verdict(wrapper({ team_id: 'T2', context_team_id: 'T1' }))).toBe('pass');
  });

  it('authorizations decide when present (Slack Connect: the wrapper names the other org)', () => {
    expect(verdict(wrapper({ team_id: 'T2', authorizations: [{ team_id: 'T1', enterprise_id: null }] }))).toBe('pass');
    expect(verdict(wrapper({ team_id: 'T1', authorizations: [{ team_id: 'T2', enterprise_id: null }] }))).toBe('other_workspace');
    expect(verdict(wrapper({ authorizations: [] }))).toBe('pass');
  });

  it('org-wide installs: no team, the enterprise decides', () => {
    const orgWide = { team_id: null, context_team_id: null, enterprise_id: 'E1', authorizations: [{ team_id: null, enterprise_id: 'E1' }] };
    expect(verdict(wrapper(orgWide), GRID)).toBe('pass');
    expect(verdict(wrapper({ ...orgWide, authorizations: [{ team_id: null, enterprise_id: 'E2' }] }), GRID)).toBe('other_workspace');
    expect(verdict(wrapper({ ...orgWide, authorizations: undefined }), GRID)).toBe('pass');
    expect(verdict(wrapper({ ...orgWide, authorizations: undefined, enterprise_id: 'E2' }), GRID)).toBe('other_workspace');
  });

  it('unknown own ids check nothing they cannot (no app id: any api_app_id; no team or org: any team)', () => {
    expect(verdict(wrapper({ api_app_id: 'A2' }), { teamId: 'T1' })).toBe('pass');
    expect(verdict(wrapper({ team_id: 'T2' }), { appId: 'A1' })).toBe('pass');
    expect(verdict(wrapper({ api_app_id: 'A2' }), { appId: 'A1' })).toBe('other_app');
  });

  it('block_actions: the team, the presser’s team or the org must be ours', () => {
    const press = (over: Record<string, unknown>) => ({
      type: 'block_actions',
      api_app_id: 'A1',
      team: { id: 'T1' },
      user: { id: 'U1', team_id: 'T1' },
      actions: [{ action_id: 'x', type: 'button', value: 'v' }],
      ...over,
    });
    expect(verdict(press({}))).toBe('pass');
    expect(verdict(press({ team: { id: 'T2' } }))).toBe('pass');
    expect(verdict(press({ team: { id: 'T2' }, user: { id: 'U9', team_id: 'T2' } }))).toBe('other_workspace');
    expect(verdict(press({ team: null, user: { id: 'U1' }, enterprise: { id: 'E1' } }), GRID)).toBe('pass');
    expect(verdict(press({ api_app_id: 'A2' }))).toBe('other_app');
  });

  it('bodies that are not objects, or of the wrong shape, are malformed before any identity check', () => {
    for (const body of [null, 42, 'x', [wrapper()]]) expect(verdict(body)).toMatch(/malformed/);
    expect(verdict(wrapper({ team_id: 5 }))).toMatch(/malformed/);
    expect(verdict(wrapper({ event: { ...event, ts: 1.1 } }))).toMatch(/malformed/);
    // An event type without a listener only needs a valid wrapper.
    expect(verdict(wrapper({ event: { type: 'reaction_added', item: 'whatever' } }))).toBe('pass');
  });
});

describe('signed request timestamps', () => {
  const now = 1_700_000_000_000;
  const at = (offsetSec: number) => String(now / 1000 + offsetSec);
  it('accepts up to 300 s off in either direction, refuses beyond', () => {
    for (const off of [0, -300, 300, -1, 1]) expect(checkRequestTimestamp(at(off), now)).toEqual({ ok: true });
    expect(checkRequestTimestamp(at(-301), now)).toMatchObject({ ok: false, reason: 'stale' });
    expect(checkRequestTimestamp(at(301), now)).toMatchObject({ ok: false, reason: 'future' });
    expect(checkRequestTimestamp(at(-600), now)).toMatchObject({ ok: false, reason: 'stale', detail: 'dated 600 s ago (limit 300 s)' });
  });

  it('a value that is not unix seconds is malformed', () => {
    for (const v of ['', 'abc', '1.5', '-5', '1e9', '9'.repeat(20)]) expect(checkRequestTimestamp(v, now)).toMatchObject({ ok: false, reason: 'malformed' });
  });
});
