/**
 * A codex model catalog (`model_catalog_json`) for the scripted model, so codex 0.171 offers it
 * the tools it offers real models: without an entry, the unknown `mock-model` gets no `apply_patch`
 * tool (observed: the request's `tools` has `exec_command`, `write_stdin`, … but no patch tool).
 * With `apply_patch_tool_type = "freeform"` codex offers `apply_patch` as a Responses-API `custom`
 * tool (a Lark grammar; the model sends the patch text as a `custom_tool_call` — the scripted
 * model's `customToolCall` step). `"function"` is refused by codex 0.171 ("unknown variant
 * `function`, expected `freeform`").
 *
 * The fields are the ones codex 0.171 requires of a catalog entry (found by its parse errors:
 * `display_name`, `supported_reasoning_levels`, `shell_type`, `visibility`, `supported_in_api`,
 * `priority`, `support_verbosity`, `truncation_policy`, `experimental_supported_tools`, and
 * `base_instructions` or `model_messages.instructions_template`).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';

/** Writes the catalog into `dir` and returns the `-c` override that points codex at it. */
export function mockModelCatalog(dir: string): Record<string, string> {
  const file = path.join(dir, 'model-catalog.json');
  const entry = {
    slug: 'mock-model',
    display_name: 'mock-model',
    base_instructions: 'You are a scripted test model.',
    apply_patch_tool_type: 'freeform',
    shell_type: 'shell_command',
    visibility: 'list',
    supported_in_api: true,
    priority: 1,
    support_verbosity: false,
    supported_reasoning_levels: [],
    truncation_policy: { mode: 'tokens', limit: 10_000 },
    experimental_supported_tools: [],
  };
  writeFileSync(file, JSON.stringify({ models: [entry] }));
  return { model_catalog_json: JSON.stringify(file) };
}
