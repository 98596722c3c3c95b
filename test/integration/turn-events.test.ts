/**
 * The live events of a turn (TurnRun `onEvent`) from the real codex app-server 0.171 and the
 * scripted model: the plan (`update_plan` → `turn/plan/updated`), a command execution
 * (`exec_command` → `item/started` / `item/completed` commandExecution), and the streamed answer
 * (`response.output_text.delta` → `item/agentMessage/delta`), folded into the view a live
 * element shows.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HOST_DEFAULT_OVERRIDES } from '../../src/codex/runtime-options.js';
import type { CodexRuntime } from '../../src/codex/runtime.js';
import type { TurnEvent } from '../../src/codex/turn-runner.js';
import type { ScriptFn } from '../../src/demo/script-types.js';
import { applyTurnEvent, initialTurnViewState } from '../../src/dispatch/live/turn-view.js';
import { openStateStore } from '../../src/state/open.js';
import type { StateStore } from '../../src/state/types.js';
import { codexTestEnv, type CodexTestEnv } from '../support/codex-env.js';
import { testRuntime } from '../support/runtime.js';

const ANSWER = 'All done: the command printed **hi**.';

/** Plan → command → an answer streamed in 6 deltas. */
const script: ScriptFn = (req) => {
  if (!req.hasFunctionOutput('plan-1')) {
    return {
      kind: 'functionCall',
      name: 'update_plan',
      callId: 'plan-1',
      arguments: {
        plan: [
          { step: 'run the command', status: 'in_progress' },
          { step: 'answer', status: 'pending' },
        ],
      },
    };
  }
  if (!req.hasFunctionOutput('cmd-1')) return { kind: 'functionCall', name: 'exec_command', callId: 'cmd-1', arguments: { cmd: 'echo hi', login: false } };
  return { kind: 'reply', text: ANSWER, chunks: 6 };
};

let env: CodexTestEnv;
let store: StateStore;
let rt: CodexRuntime | undefined;

beforeEach(async () => {
  env = await codexTestEnv(script);
  store = await openStateStore(env.stateDir);
});

afterEach(async () => {
  await rt?.stop();
  await store.close();
  await env.cleanup();
});

describe('turn events (real codex)', () => {
  it('passes on the plan, the command and the streamed answer, whose deltas make the final text', async () => {
    rt = testRuntime(env, store, { overrides: { overrides: { ...HOST_DEFAULT_OVERRIDES } } });
    await rt.start();
    const events: TurnEvent[] = [];
    const views: string[] = [];
    let state = initialTurnViewState();
    const outcome = await rt.runTurn('do the thing', 60_000, {
      onEvent: (e) => {
        events.push(e);
        state = applyTurnEvent(state, e);
        if (state.view.activity) views.push(state.view.activity);
      },
    });
    expect(outcome).toMatchObject({ status: 'completed', text: ANSWER });

    const plans = events.flatMap((e) => (e.type === 'planUpdated' ? [e.plan] : []));
    expect(plans[0]).toEqual([
      { step: 'run the command', status: 'inProgress' },
      { step: 'answer', status: 'pending' },
    ]);

    const started = events.flatMap((e) => (e.type === 'itemStarted' && e.item.type === 'commandExecution' ? [e.item] : []));
    expect(started).toHaveLength(1);
    expect(started[0]!.command).toContain('echo hi');
    const completed = events.flatMap((e) => (e.type === 'itemCompleted' && e.item.type === 'commandExecution' ? [e.item] : []));
    expect(completed[0]).toMatchObject({ status: 'completed', exitCode: 0 });
    expect(
      views.some((v) => v.startsWith('running `') && v.includes('echo hi')),
      `activity lines: ${JSON.stringify(views)}`,
    ).toBe(true);

    const deltas = events.flatMap((e) => (e.type === 'agentMessageDelta' ? [e.delta] : []));
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(ANSWER);
    expect(state.view).toMatchObject({ text: ANSWER, activity: null });
    expect(state.view.plan).toEqual(plans.at(-1));
  });
});
