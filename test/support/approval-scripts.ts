/**
 * Scripted-model steps that make the real codex app-server ask (src/demo/scripted-model.ts): shared
 * by the approval tests of every platform.
 */
import type { ScriptFn } from '../../src/demo/script-types.js';

/** One `request_user_input` question as the tool takes it. */
export interface ScriptQuestion {
  id: string;
  header: string;
  question: string;
  options: Array<{ label: string; description: string }>;
}

/** The model asks `questions` with codex's `request_user_input` tool, then answers `user said: <tool output>`. */
export function askScript(callId: string, questions: ScriptQuestion[]): ScriptFn {
  return (req) => {
    if (!req.hasFunctionOutput(callId)) return { kind: 'functionCall', name: 'request_user_input', callId, arguments: { questions } };
    return { kind: 'reply', text: `user said: ${req.functionOutput(callId) ?? '(nothing)'}` };
  };
}

/**
 * The model runs `touch restarted.txt` until it ran, then answers `tool said: <output>`: a call cut
 * off by a kill comes back (resumed thread) with codex's aborted output, so the re-run turn calls
 * again with a fresh id, which asks for approval again.
 */
export const touchUntilRan: ScriptFn = (req) => {
  const ran = req.functionOutputs.find((o) => o.output.includes('Process exited with code 0'));
  if (ran) return { kind: 'reply', text: `tool said: ${ran.output}` };
  return { kind: 'functionCall', name: 'exec_command', arguments: { cmd: 'touch restarted.txt', login: false }, callId: `touch-${req.functionOutputs.length}` };
};
