/**
 * Reading the JSON Schema of the codex app-server protocol, as printed by
 * `codex app-server generate-json-schema --experimental --out <dir>`.
 *
 * The output holds message unions at the top level (`ClientRequest.json`,
 * `ServerNotification.json`, ...: a `oneOf` of `{method, params}` objects) and one
 * self-contained file per type under `v1/` and `v2/`. Every `$ref` points into the
 * `definitions` of the file it appears in.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** A JSON Schema (draft-07) node: `true`/`false` or an object. Only the keywords used here are typed. */
export type Schema = boolean | SchemaObject;

export interface SchemaObject {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  definitions?: Record<string, Schema>;
  [keyword: string]: unknown;
}

/** Properties and required names of an object schema. */
export interface ObjectShape {
  properties: Map<string, SchemaNode>;
  required: Set<string>;
}

/**
 * Runs `<codexBin> app-server generate-json-schema --experimental --out <outDir>` with
 * CODEX_HOME set to `codexHome` (so nothing is written to the user's ~/.codex).
 */
export async function generateCodexSchema(codexBin: string, outDir: string, codexHome: string): Promise<void> {
  const args = ['app-server', 'generate-json-schema', '--experimental', '--out', outDir];
  try {
    await execFileAsync(codexBin, args, { timeout: 30_000, env: { ...process.env, CODEX_HOME: codexHome } });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`\`${codexBin} ${args.join(' ')}\` failed: ${(err as Error).message}\n${stderr}`);
  }
}

/** One schema file; `$ref`s inside it resolve against its own root. */
export class SchemaDoc {
  constructor(
    readonly name: string,
    readonly root: Schema,
  ) {}

  /** Resolves a local reference such as `#/definitions/Turn`. */
  resolveRef(ref: string): Schema {
    if (!ref.startsWith('#/')) throw new Error(`${this.name}: only local $refs are supported, got ${ref}`);
    let node: unknown = this.root;
    for (const raw of ref.slice(2).split('/')) {
      const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined;
      if (node === undefined) throw new Error(`${this.name}: unresolvable $ref ${ref}`);
    }
    return node as Schema;
  }

  node(): SchemaNode {
    return new SchemaNode(this, this.root, this.name);
  }
}

/** A schema node together with the file it lives in and a readable location for messages. */
export class SchemaNode {
  constructor(
    readonly doc: SchemaDoc,
    readonly schema: Schema,
    readonly where: string,
  ) {}

  private child(schema: Schema, suffix: string): SchemaNode {
    return new SchemaNode(this.doc, schema, this.where + suffix);
  }

  /** Follows `$ref` chains and single-member `allOf` wrappers (used to attach a description to a ref). */
  resolved(): SchemaNode {
    let node: SchemaNode = this;
    for (let hops = 0; hops < 32; hops++) {
      const s = node.schema;
      if (typeof s !== 'object') return node;
      if (s.$ref) node = node.child(node.doc.resolveRef(s.$ref), '');
      else if (s.allOf?.length === 1 && !s.properties && s.allOf[0] !== undefined) node = node.child(s.allOf[0], '');
      else return node;
    }
    throw new Error(`${this.where}: $ref cycle`);
  }

  /** Union members (`anyOf`/`oneOf`) of the resolved node, each resolved. */
  members(): SchemaNode[] {
    const s = this.resolved().schema;
    if (typeof s !== 'object') return [];
    return [...(s.anyOf ?? []), ...(s.oneOf ?? [])].map((m) => this.child(m, '').resolved());
  }

  /** True when the schema accepts `null`. */
  isNullable(): boolean {
    const node = this.resolved();
    const s = node.schema;
    if (typeof s !== 'object') return s;
    if (s.type === 'null' || (Array.isArray(s.type) && s.type.includes('null'))) return true;
    if (s.enum?.includes(null)) return true;
    return node.members().some((m) => m.isNullable());
  }

  /** The node with a nullable wrapper (`anyOf: [X, {type: 'null'}]`) removed. */
  nonNull(): SchemaNode {
    const node = this.resolved();
    const s = node.schema;
    if (typeof s !== 'object' || s.properties) return node;
    const rest = node.members().filter((m) => !isNullOnly(m.schema));
    return rest.length === 1 && rest[0] ? rest[0].nonNull() : node;
  }

  /**
   * Properties and required names, merged through `allOf`. Unions (`anyOf`/`oneOf` with
   * several members) are not merged: pick a member with `variant()`.
   */
  shape(): ObjectShape {
    const node = this.nonNull();
    const s = node.schema;
    const shape: ObjectShape = { properties: new Map(), required: new Set() };
    if (typeof s !== 'object') return shape;
    for (const [name, prop] of Object.entries(s.properties ?? {})) shape.properties.set(name, node.child(prop, `.${name}`));
    for (const name of s.required ?? []) shape.required.add(name);
    for (const part of s.allOf ?? []) {
      const sub = node.child(part, '').shape();
      for (const [name, prop] of sub.properties) shape.properties.set(name, prop);
      for (const name of sub.required) shape.required.add(name);
    }
    return shape;
  }

  property(name: string): SchemaNode {
    const prop = this.shape().properties.get(name);
    if (!prop) throw new Error(`${this.where}: no property \`${name}\` in the schema`);
    return prop;
  }

  /** The element schema of an array. */
  items(): SchemaNode {
    const s = this.nonNull().schema;
    if (typeof s !== 'object' || s.items === undefined) throw new Error(`${this.where}: not an array schema`);
    return this.child(s.items, '[]');
  }

  /** The union member whose `tag` property (default `type`) has the value `value`. */
  variant(value: string, tag = 'type'): SchemaNode {
    const members = this.nonNull().members();
    const found = members.find((m) => m.shape().properties.get(tag)?.stringValues().includes(value));
    if (!found) {
      const known = members.flatMap((m) => m.shape().properties.get(tag)?.stringValues() ?? []);
      throw new Error(`${this.where}: no union member with ${tag}=${JSON.stringify(value)} (has: ${known.join(', ')})`);
    }
    return new SchemaNode(found.doc, found.schema, `${this.where}<${value}>`);
  }

  /**
   * Walks a dotted path: `name` = property, `name[]` = elements of an array property,
   * `<value>` = union member whose `type` is `value`. `''` is this node.
   */
  at(dotted: string): SchemaNode {
    let node: SchemaNode = this;
    for (const segment of dotted.split('.').filter(Boolean)) {
      const tagged = /^<(.+)>$/.exec(segment);
      if (tagged?.[1]) {
        node = node.variant(tagged[1]);
        continue;
      }
      const [, name = '', arrays = ''] = /^([^[]*)((?:\[\])*)$/.exec(segment) ?? [];
      if (name) node = node.property(name);
      for (let i = 0; i < arrays.length / 2; i++) node = node.items();
    }
    return node;
  }

  /** String values the schema allows: `enum`/`const`, collected through unions and `allOf`. */
  stringValues(): string[] {
    const node = this.resolved();
    const s = node.schema;
    if (typeof s !== 'object') return [];
    const own = [...(s.enum ?? []), ...(s.const !== undefined ? [s.const] : [])].filter((v): v is string => typeof v === 'string');
    const nested = [...node.members(), ...(s.allOf ?? []).map((p) => node.child(p, '').resolved())].flatMap((m) => m.stringValues());
    return [...new Set([...own, ...nested])];
  }
}

function isNullOnly(s: Schema): boolean {
  return typeof s === 'object' && (s.type === 'null' || (Array.isArray(s.type) && s.type.length === 1 && s.type[0] === 'null'));
}

/** The generated schema directory. Files are read on first use. */
export class CodexSchema {
  private readonly docs = new Map<string, SchemaDoc>();

  constructor(readonly dir: string) {}

  /** Loads `rel` (e.g. `ClientRequest.json`, `v2/TurnStartParams.json`); throws if the file is missing. */
  doc(rel: string): SchemaDoc {
    let doc = this.docs.get(rel);
    if (!doc) {
      const file = path.join(this.dir, rel);
      if (!existsSync(file)) {
        throw new Error(`codex schema output has no ${rel} (top level: ${readdirSync(this.dir).join(', ')})`);
      }
      doc = new SchemaDoc(rel, JSON.parse(readFileSync(file, 'utf8')) as Schema);
      this.docs.set(rel, doc);
    }
    return doc;
  }

  /** Entries of a message union file (`ClientRequest.json`, ...) by method name. */
  messages(unionFile: string): Map<string, SchemaNode> {
    const root = this.doc(unionFile).node();
    const out = new Map<string, SchemaNode>();
    for (const entry of root.members()) {
      const method = entry.shape().properties.get('method')?.stringValues()[0];
      if (method !== undefined) out.set(method, new SchemaNode(entry.doc, entry.schema, `${unionFile} ${method}`));
    }
    if (out.size === 0) throw new Error(`${unionFile}: no {method, params} entries found`);
    return out;
  }

  /** The `params` schema of `method` in a message union file. */
  params(unionFile: string, method: string): SchemaNode {
    const entry = this.messages(unionFile).get(method);
    if (!entry) throw new Error(`${unionFile}: no method \`${method}\``);
    const params = entry.property('params');
    return new SchemaNode(params.doc, params.schema, `${unionFile} ${method} params`);
  }

  /**
   * The result schema of a client request. The schema does not link requests to responses;
   * by convention `<X>Params` answers with `<X>Response`, emitted as `v2/`, `v1/` or top-level file.
   */
  result(method: string): SchemaNode {
    return this.responseOf('ClientRequest.json', method);
  }

  /** The result schema of a server request (what the client answers), by the same convention as {@link result}. */
  serverRequestResult(method: string): SchemaNode {
    return this.responseOf('ServerRequest.json', method);
  }

  private responseOf(unionFile: string, method: string): SchemaNode {
    const paramsRef = this.params(unionFile, method).schema;
    const ref = typeof paramsRef === 'object' ? paramsRef.$ref : undefined;
    const paramsName = ref?.split('/').pop();
    if (!paramsName?.endsWith('Params')) {
      throw new Error(`${unionFile} ${method}: params is not a $ref to a *Params type (${JSON.stringify(paramsRef)})`);
    }
    const responseName = `${paramsName.slice(0, -'Params'.length)}Response`;
    for (const rel of [`v2/${responseName}.json`, `v1/${responseName}.json`, `${responseName}.json`]) {
      if (existsSync(path.join(this.dir, rel))) return new SchemaNode(this.doc(rel), this.doc(rel).root, `${method} result (${rel})`);
    }
    throw new Error(`${method}: no ${responseName}.json in v2/, v1/ or the top level of the codex schema output`);
  }
}
