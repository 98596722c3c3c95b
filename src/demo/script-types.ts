/**
 * The script side of the scripted Responses-API endpoint (./scripted-model.ts): the parsed
 * request a script sees and the step it answers with. Kept apart so scripts (./demo-script.ts,
 * tests) and the server depend on these types, not on each other.
 */

/** One step of a script: what to answer to one `POST /v1/responses`. */
export type ScriptStep =
  /**
   * Assistant message `text`. `delayMs` waits after `response.created`, before the message.
   * `chunks` (default 1) splits the text into that many `response.output_text.delta` events,
   * spread evenly over `streamMs` (default 0); `output_item.done` always carries the whole text.
   */
  | { kind: 'reply'; text: string; delayMs?: number; chunks?: number; streamMs?: number }
  /**
   * A function (tool) call. `arguments` is JSON-encoded on the wire. `callId` defaults to a
   * generated `call_<n>`. `delayMs` as for reply. `namespace` names the tool namespace the
   * function belongs to (codex offers MCP tools as namespace `mcp__<server>` with function
   * `<tool>`), sent as the item's `namespace` field.
   */
  | { kind: 'functionCall'; name: string; arguments: object; callId?: string; namespace?: string; delayMs?: number }
  /**
   * A call of a freeform (Responses-API `custom`) tool: `input` is sent verbatim as the item's
   * `input` (`output_item.done` `{type:'custom_tool_call', call_id, name, input}`). Codex offers
   * `apply_patch` this way to models whose catalog entry says `apply_patch_tool_type = "freeform"`;
   * its output comes back as `custom_tool_call_output` (see {@link FunctionOutput}).
   */
  | { kind: 'customToolCall'; name: string; input: string; callId?: string; delayMs?: number }
  /** Plain HTTP error with a JSON body (default `{"error":{"message":"scripted HTTP <status>"}}`). */
  | { kind: 'httpError'; status: number; body?: unknown }
  /** Never answers (no headers) until the client aborts or the server is closed. */
  | { kind: 'hang' }
  /**
   * SSE `response.created` then `response.failed` with `response.error = {code, message}`, then
   * the stream ends. `code` defaults to `server_error` (codex treats it as retryable; with
   * `stream_max_retries = 0` the turn fails). `context_length_exceeded`, `insufficient_quota`
   * and `usage_not_included` map to codex's dedicated errors.
   */
  | { kind: 'streamError'; message: string; code?: string; delayMs?: number };

/** A message item of the request input, flattened to its text. */
export interface InputMessage {
  role: string;
  text: string;
}

/** A `function_call_output` (or `custom_tool_call_output`) item of the request input; `output` flattened to a string. */
export interface FunctionOutput {
  callId: string;
  output: string;
}

/** A `function_call` item echoed back in the request input (an earlier model tool call). */
export interface EchoedFunctionCall {
  callId: string;
  name: string;
  arguments: string;
}

/** A parsed `POST /v1/responses` request, handed to the script. */
export interface ModelRequest {
  /** The parsed JSON body as sent by the client. */
  body: unknown;
  /** `body.model`, if a string. */
  model: string | undefined;
  /** `body.input` (raw items), `[]` if absent. */
  input: unknown[];
  /** All `type:'message'` items (or role-bearing items without a type), in order. */
  messages: InputMessage[];
  /** Texts of all user-role messages, in order (codex also sends context blocks as user messages). */
  userTexts: string[];
  /** Text of the last user-role message, `''` if none. */
  lastUserText: string;
  /** Every text found in the input (messages and function outputs) joined with `\n`. */
  allText: string;
  /** `function_call_output` items, in order. */
  functionOutputs: FunctionOutput[];
  /** `function_call` items (previous tool calls) echoed back in the input, in order. */
  functionCalls: EchoedFunctionCall[];
  /** Names of the tools offered in `body.tools` (function `name`, else `type`). */
  toolNames: string[];
  /** True if the input contains a `function_call_output` for `callId`. */
  hasFunctionOutput(callId: string): boolean;
  /** The output for `callId`, or undefined. */
  functionOutput(callId: string): string | undefined;
}

/** Decides the answer to one request; may be async. A throw becomes an HTTP 500. */
export type ScriptFn = (req: ModelRequest) => ScriptStep | Promise<ScriptStep>;
