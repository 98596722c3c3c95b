/**
 * The demo's scripted model: a small repertoire a newcomer triggers from the chat, so the demo
 * shows what a turn can be (rich Markdown, a long streamed answer, a shell command run by
 * codex's own tool, a failing turn) with no account. Every answer starts with {@link DEMO_MARK}.
 *
 * Triggers (case-insensitive, the whole message; `demo:` and `demo ` both work):
 * - `demo help` (also `help`): the list below.
 * - `demo: markdown`: headings, a list, a table, a link, a fenced code block.
 * - `demo: slow [N s]`: a plan (codex's `update_plan` tool, when offered), then an answer streamed over
 *   N seconds (default 10, at most 60).
 * - `demo: run a command`: the model calls codex's shell tool (`exec_command {cmd, login}`, codex 0.169;
 *   older codex offers `shell {command: argv}`), then summarises the command's output.
 * - `demo: fail`: the model stream fails (`response.failed`), so the turn fails.
 * - anything else: an echo that lists the triggers (so the first answer says what to try).
 */
import type { ModelRequest, ScriptFn, ScriptStep } from './script-types.js';

/** Prefix of every scripted demo answer. */
export const DEMO_MARK = '[scripted demo model]';

/** Default and cap of `demo: slow`, seconds. */
export const SLOW_DEFAULT_S = 10;
export const SLOW_MAX_S = 60;

/** The command `demo: run a command` asks codex to run (read-only, works in codex's read-only sandbox). */
export const DEMO_COMMAND = 'echo "hello from $(uname -s)"; pwd; ls -A | head -n 5';

/** One documented trigger: what to type and what it shows. */
export interface DemoTrigger {
  trigger: string;
  shows: string;
}

/** The repertoire, in the order `demo help` lists it (the README's table says the same). */
export const DEMO_TRIGGERS: readonly DemoTrigger[] = [
  { trigger: 'demo: markdown', shows: 'a rich answer: headings, a list, a table, a link and a code block' },
  { trigger: `demo: slow ${SLOW_DEFAULT_S}s`, shows: `a long turn that streams its answer (1–${SLOW_MAX_S} s); try \`stop\` meanwhile` },
  { trigger: 'demo: run a command', shows: 'codex runs a shell command with its own tool and the answer shows the output' },
  { trigger: 'demo: approval', shows: 'codex asks before running a command outside its sandbox: answer with the buttons' },
  { trigger: 'demo: fail', shows: 'a turn that fails, and how the chat reports it' },
  { trigger: 'status', shows: "the dispatcher's state (a Switchboard command, no turn)" },
  { trigger: 'demo help', shows: 'this list' },
];

const NOT_REAL = 'Log in to Codex (`npx codex login` or OPENAI_API_KEY) and use `npm start` for real answers.';

/** The trigger list as Markdown bullets. */
function triggerList(): string {
  return DEMO_TRIGGERS.map((t) => `- \`${t.trigger}\`: ${t.shows}`).join('\n');
}

/** The answer to a message that is no trigger: an echo plus what to try. */
export function demoReplyText(userText: string): string {
  return (
    `${DEMO_MARK} You said: "${userText}". This reply comes from Switchboard's bundled scripted endpoint, ` +
    `not a real model. ${NOT_REAL}\n\nTry one of these:\n${triggerList()}`
  );
}

/** The `demo help` answer. */
export function demoHelpText(): string {
  return `${DEMO_MARK} This demo runs a real Codex app-server against a scripted model. Try:\n${triggerList()}\n\n${NOT_REAL}`;
}

/** The `demo: markdown` answer. */
export function demoMarkdownText(): string {
  return [
    `${DEMO_MARK} Here is what a rich answer looks like.`,
    '',
    '## A heading',
    '',
    'Some **bold**, some _italic_, some `inline code`, and [a link to the Codex docs](https://developers.openai.com/codex).',
    '',
    '### A list',
    '',
    '- first point',
    '- second point, with a nested list:',
    '  1. one',
    '  2. two',
    '',
    '### A table',
    '',
    '| Channel | Answers in | Progress |',
    '| --- | --- | --- |',
    '| Slack | the message thread | reactions |',
    '| Feishu | the message thread | reactions |',
    '| Web chat | the conversation | a working mark |',
    '',
    '### A code block',
    '',
    '```ts',
    'const answer = await dispatcher.run(turn);',
    "console.log(answer.status); // 'completed'",
    '```',
  ].join('\n');
}

/** The `demo: slow` answer for `seconds`: one line per second, streamed. */
export function demoSlowText(seconds: number): string {
  const lines = Array.from({ length: seconds }, (_, i) => `- second ${i + 1} of ${seconds}: still working…`);
  return `${DEMO_MARK} A slow answer, streamed over ${seconds} s.\n\n${lines.join('\n')}\n\nDone after ${seconds} s.`;
}

/** The plan `demo: slow` publishes before it streams (`update_plan` arguments: snake_case statuses). */
export const DEMO_SLOW_PLAN = [
  { step: 'Stream the answer, one line per second', status: 'in_progress' },
  { step: 'Say when it is done', status: 'pending' },
] as const;

/** What `demo: fail` makes the model stream fail with. */
export const DEMO_FAIL_MESSAGE = `${DEMO_MARK} demo: fail — this turn fails on purpose, so you can see how a failed turn is reported.`;

/** The message without Switchboard's `[sender via channel/conversation]` header line. */
export function stripSenderHeader(text: string): string {
  return text.replace(/^\[[^\]\n]+ via [^\]\n]+\]\n/, '');
}

type Parsed =
  | { kind: 'help' }
  | { kind: 'markdown' }
  | { kind: 'slow'; seconds: number }
  | { kind: 'command' }
  | { kind: 'approval' }
  | { kind: 'fail' }
  | { kind: 'echo'; text: string };

/** Which trigger (if any) a message is. */
export function parseDemoTrigger(message: string): Parsed {
  const text = message.trim();
  const m = /^demo\s*:?\s*(.*)$/is.exec(text);
  const rest = (m ? m[1]! : text).trim().toLowerCase();
  if (rest === 'help' || (m && rest === '')) return { kind: 'help' };
  if (!m) return { kind: 'echo', text };
  if (rest === 'markdown') return { kind: 'markdown' };
  const slow = /^slow(?:\s+(\d+)\s*(?:s|sec|secs|seconds?)?)?$/.exec(rest);
  if (slow) {
    const asked = slow[1] === undefined ? SLOW_DEFAULT_S : Number(slow[1]);
    return { kind: 'slow', seconds: Math.min(SLOW_MAX_S, Math.max(1, asked)) };
  }
  if (/^(run )?(a )?(shell )?command$/.test(rest)) return { kind: 'command' };
  if (rest === 'fail') return { kind: 'fail' };
  if (rest === 'approval' || rest === 'approve') return { kind: 'approval' };
  return { kind: 'echo', text };
}

/** The command step: codex's shell tool by the name this codex offers, else null. */
function commandCall(req: ModelRequest, callId: string): ScriptStep | null {
  // `login: false`: a plain shell, so the operator's login profile does not add its own noise.
  if (req.toolNames.includes('exec_command')) return { kind: 'functionCall', name: 'exec_command', arguments: { cmd: DEMO_COMMAND, login: false }, callId };
  if (req.toolNames.includes('shell')) return { kind: 'functionCall', name: 'shell', arguments: { command: ['bash', '-lc', DEMO_COMMAND] }, callId };
  return null;
}

/**
 * The answer after the command ran, from the tool output codex gave the model. codex 0.169
 * formats it as `Chunk ID: …\nWall time: <s> seconds\nProcess exited with code <n>\n…\nOutput:\n<text>`;
 * any other shape is shown whole.
 */
export function demoCommandText(toolOutput: string): string {
  const exit = /Process exited with code (-?\d+)/.exec(toolOutput)?.[1];
  const wall = /Wall time: ([\d.]+) seconds/.exec(toolOutput)?.[1];
  const at = toolOutput.indexOf('Output:\n');
  const output = (at >= 0 ? toolOutput.slice(at + 'Output:\n'.length) : toolOutput).trim() || '(no output)';
  const facts = [exit !== undefined ? `exit code ${exit}` : null, wall !== undefined ? `${Number(wall).toFixed(1)} s` : null].filter(Boolean);
  return (
    `${DEMO_MARK} Codex ran \`${DEMO_COMMAND}\` with its own shell tool` +
    (facts.length ? ` (${facts.join(', ')})` : '') +
    `. Its output:\n\n\`\`\`\n${output}\n\`\`\``
  );
}

/** The file `demo: approval` asks to create outside the sandbox (in the dispatcher's workspace). */
export const DEMO_APPROVAL_FILE = 'switchboard-demo-approved.txt';

/**
 * The approval step: `exec_command` with `sandbox_permissions: require_escalated`, which under
 * approval policy `on-request` makes codex ask (`item/commandExecution/requestApproval`, with the
 * justification as its reason) before running it outside the sandbox (codex 0.171, measured).
 */
function approvalCall(callId: string): ScriptStep {
  return {
    kind: 'functionCall',
    name: 'exec_command',
    callId,
    arguments: {
      cmd: `touch ${DEMO_APPROVAL_FILE}`,
      login: false,
      sandbox_permissions: 'require_escalated',
      justification: 'The demo creates a file outside the read-only sandbox.',
    },
  };
}

/** The answer after the approval was decided, from the tool output codex gave the model. */
export function demoApprovalText(toolOutput: string): string {
  if (/Process exited with code 0/.test(toolOutput))
    return `${DEMO_MARK} Approved: codex ran \`touch ${DEMO_APPROVAL_FILE}\` outside its sandbox, in the dispatcher's workspace.`;
  return `${DEMO_MARK} Not approved: the command did not run. codex told the model:\n\n\`\`\`\n${toolOutput.trim()}\n\`\`\``;
}

/**
 * The demo's script (see the module header). Deterministic for a given request; the command
 * trigger takes two requests (the call, then the answer once the call's output is in the input).
 */
export const demoScript: ScriptFn = (req) => {
  const parsed = parseDemoTrigger(stripSenderHeader(req.lastUserText));
  switch (parsed.kind) {
    case 'help':
      return { kind: 'reply', text: demoHelpText() };
    case 'markdown':
      return { kind: 'reply', text: demoMarkdownText(), chunks: 8, streamMs: 800 };
    case 'slow': {
      // First the plan (codex's `update_plan`, when this codex offers it), so a live answer shows its steps.
      const planId = `demo_plan_${req.userTexts.length}`;
      if (req.toolNames.includes('update_plan') && !req.hasFunctionOutput(planId)) {
        return { kind: 'functionCall', name: 'update_plan', callId: planId, arguments: { plan: DEMO_SLOW_PLAN } };
      }
      return { kind: 'reply', text: demoSlowText(parsed.seconds), chunks: parsed.seconds + 2, streamMs: parsed.seconds * 1000 };
    }
    case 'fail':
      return { kind: 'streamError', message: DEMO_FAIL_MESSAGE };
    case 'command': {
      const callId = `demo_command_${req.userTexts.length}`;
      const output = req.functionOutput(callId);
      if (output !== undefined) return { kind: 'reply', text: demoCommandText(output) };
      return commandCall(req, callId) ?? { kind: 'reply', text: `${DEMO_MARK} This codex offered no shell tool (tools: ${req.toolNames.join(', ')}).` };
    }
    case 'approval': {
      const callId = `demo_approval_${req.userTexts.length}`;
      const output = req.functionOutput(callId);
      return output !== undefined ? { kind: 'reply', text: demoApprovalText(output) } : approvalCall(callId);
    }
    case 'echo':
      return { kind: 'reply', text: demoReplyText(parsed.text) };
  }
};
