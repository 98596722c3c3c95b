/**
 * Rehearses a Dockerfile's build without a container engine: each stage gets its own directory
 * standing in for its filesystem root (image path `/app` = `<stage root>/app`), and its
 * instructions are replayed there:
 *
 * - `WORKDIR` sets (and creates) the working directory; `ENV` adds to the stage environment;
 * - `COPY` from the context copies the files `.dockerignore` lets through (Docker's rules: a
 *   directory's contents go into the destination; several sources or a trailing `/` = a directory);
 * - `COPY --from=<stage>` moves the path out of that stage's root (the build stage is discarded
 *   afterwards, as in a multi-stage build);
 * - `RUN` runs `/bin/sh -c` in the working directory with the host environment plus the stage's
 *   `ENV` — except in stages given in `skipRunIn` (root-only steps like chown and /usr/local/bin
 *   links cannot be replayed as a normal user; the unit test checks their text);
 * - `USER` is not replayed (the test process keeps its own uid); the rest is collected.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { copySpec, envPairs, execForm, healthcheckSpec, type Dockerfile, type Instruction } from './dockerfile.js';
import { contextFiles, type DockerIgnore } from './dockerignore.js';

/** One rehearsed stage. */
export interface RehearsedStage {
  /** Host directory standing for the stage's `/`. */
  root: string;
  /** Image path of the last WORKDIR. */
  workdir: string;
  /** The stage's ENV, values as written (image paths). */
  env: Record<string, string>;
  entrypoint?: string[];
  cmd?: string[];
  healthcheck?: string[];
  /** RUN instructions not replayed. */
  skipped: Instruction[];
  /** Host path of an image path (absolute) in this stage; other strings unchanged. */
  host(imagePath: string): string;
}

export interface RehearsalOptions {
  dockerfile: Dockerfile;
  /** Build context directory. */
  context: string;
  ignore: DockerIgnore;
  /** Directory to create the stage roots in. */
  workDir: string;
  /** Indexes of stages whose RUN instructions are not replayed. */
  skipRunIn?: ReadonlySet<number>;
  /** Called with each RUN's output on failure too; default: nothing. */
  onOutput?: (chunk: string) => void;
}

/** Runs `sh -c cmd`; resolves on exit 0, rejects with the output otherwise. */
function run(cmd: string, cwd: string, env: NodeJS.ProcessEnv, onOutput?: (chunk: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', cmd], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const add = (c: Buffer): void => {
      output += c.toString();
      onOutput?.(c.toString());
    };
    child.stdout.on('data', add);
    child.stderr.on('data', add);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`RUN ${cmd} failed (code ${code}, signal ${signal}) in ${cwd}:\n${output.slice(-4000)}`));
    });
  });
}

/** Replays every stage in order; returns them (the last one is the image). */
export async function rehearse(opts: RehearsalOptions): Promise<RehearsedStage[]> {
  const done: RehearsedStage[] = [];
  const byName = new Map<string, RehearsedStage>();
  for (const [index, stage] of opts.dockerfile.stages.entries()) {
    const root = path.join(opts.workDir, `stage-${index}${stage.name ? `-${stage.name}` : ''}`);
    mkdirSync(root, { recursive: true });
    const host = (p: string): string => (p.startsWith('/') ? path.join(root, p) : p);
    const s: RehearsedStage = { root, workdir: '/', env: {}, skipped: [], host };
    const inImage = (p: string): string => path.posix.resolve(s.workdir, p);
    for (const ins of stage.instructions) {
      switch (ins.keyword) {
        case 'WORKDIR':
          s.workdir = inImage(ins.args);
          mkdirSync(host(s.workdir), { recursive: true });
          break;
        case 'ENV':
          Object.assign(s.env, envPairs(ins.args));
          break;
        case 'COPY': {
          const spec = copySpec(ins.args);
          const dest = inImage(spec.dest);
          const intoDir = spec.dest.endsWith('/') || spec.sources.length > 1;
          if (spec.flags.from) {
            const from = byName.get(spec.flags.from);
            if (!from) throw new Error(`line ${ins.line}: no earlier stage ${spec.flags.from}`);
            for (const src of spec.sources) {
              const target = intoDir ? path.posix.join(dest, path.posix.basename(src)) : dest;
              mkdirSync(path.dirname(host(target)), { recursive: true });
              renameSync(from.host(src), host(target));
            }
            break;
          }
          for (const src of spec.sources) {
            const base = path.posix.normalize(src).replace(/\/+$/, '');
            for (const file of contextFiles(opts.context, src, opts.ignore)) {
              // A file source keeps its name (in a dir dest); a directory source's contents go into dest.
              const rel = file === base ? path.posix.basename(file) : path.posix.relative(base, file);
              const target = file === base && !intoDir ? dest : path.posix.join(dest, rel);
              mkdirSync(path.dirname(host(target)), { recursive: true });
              cpSync(path.join(opts.context, file), host(target));
            }
          }
          break;
        }
        case 'RUN':
          if (opts.skipRunIn?.has(index)) s.skipped.push(ins);
          else await run(ins.args, host(s.workdir), { ...process.env, ...s.env }, opts.onOutput);
          break;
        case 'ENTRYPOINT':
          s.entrypoint = execForm(ins.args) ?? ['/bin/sh', '-c', ins.args];
          break;
        case 'CMD':
          s.cmd = execForm(ins.args) ?? ['/bin/sh', '-c', ins.args];
          break;
        case 'HEALTHCHECK':
          s.healthcheck = healthcheckSpec(ins.args).command;
          break;
        default:
          break; // USER, EXPOSE, VOLUME, ARG, LABEL: nothing to replay
      }
    }
    done.push(s);
    if (stage.name) byName.set(stage.name, s);
  }
  return done;
}
