/**
 * The Switchboard service: state store, one Dispatcher (+ CodexRuntime) per
 * configured dispatcher, channel adapters, router, the admin socket and the
 * teammate tools' MCP endpoint (src/mcp/http-server.ts).
 */
import { ApprovalBroker } from './dispatch/approvals/broker.js';
import { ActionRegistry } from './dispatch/actions.js';
import { DEFAULT_LIVE_POLICY, type ChannelLivePolicy } from './dispatch/live/live-session.js';
import { runtimeOptions, type RuntimeSpec } from './codex/runtime-options.js';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { AdminPort, ServiceStatus } from './admin/port.js';
import { createAdminServer, type AdminServer } from './admin/server.js';
import { createChannel } from './channels/index.js';
import type { AcceptResult, ChannelAdapter, InboundMessage } from './channels/types.js';
import { systemClock, type Clock } from './clock.js';
import { codexBinaryFor } from './codex/binary.js';
import { OnDemandRuntime } from './codex/on-demand-runtime.js';
import type { AgentRuntime } from './codex/agent-runtime.js';
import { startRetentionSweeps } from './state/retention.js';
import { startGate } from './codex/start-gate.js';
import { childEnvironmentFor, type CodexLaunch } from './codex/child-env.js';
import { CodexRuntime } from './codex/runtime.js';
import { ChildRegistry } from './codex/child-registry.js';
import { reapLeftovers } from './codex/reap.js';
import type { ChannelConfig, Config, DispatcherConfig } from './config/schema.js';
import { Dispatcher } from './dispatch/dispatcher.js';
import { AccessGate, type ChannelAccess } from './dispatch/gate.js';
import { withNotQueuedNotice } from './dispatch/not-queued.js';
import { Router } from './dispatch/router.js';
import { startHealthServer, type HealthServer } from './health/http.js';
import { readinessOf, type ChannelLifecycle, type ReadinessReport } from './health/readiness.js';
import type { Logger } from './log.js';
import { startMcpHttpServer, type McpHttpServer } from './mcp/http-server.js';
import { switchboardMcpSessionConfig, type McpEndpoint } from './mcp/registration.js';
import { McpCallerTokens } from './mcp/tokens.js';
import { openStateStore } from './state/open.js';
import { ensurePrivateDir, tightenTree } from './state/private-files.js';
import type { StateStore } from './state/types.js';
import { keptInMemory, type StorageHealthView } from './state/health.js';
import { TeammateManager } from './teammates/manager.js';
import type { SessionInfoSource } from './channels/session-info.js';

export type { ServiceStatus } from './admin/port.js';

export interface Service extends AdminPort {
  readonly config: Config;
  readonly store: StateStore;
  readonly dispatchers: ReadonlyMap<string, Dispatcher>;
  readonly channels: ReadonlyMap<string, ChannelAdapter>;
  readonly teammates: TeammateManager;
  /** Absolute path of the admin socket. */
  readonly adminSocket: string;
  /** Where the service serves its runtimes the teammate tools (loopback MCP endpoint), and the caller tokens it accepts. */
  readonly mcp: McpEndpoint;
  status(): ServiceStatus;
  /**
   * What `GET /readyz` reports: ready when every dispatcher is `ready` and every channel is started
   * and connected (its adapter's live `connection()`, e.g. a Socket Mode / long connection that dropped
   * makes it `reconnecting`).
   */
  readiness(): ReadinessReport;
  /** The `health.listen` listener; null when the config has none. */
  readonly health: HealthServer | null;
  /** Stops channels, runtimes and the admin socket; queued turns stay persisted. Idempotent. */
  stop(): Promise<void>;
}

export interface ServiceOptions {
  logger: Logger;
  clock?: Clock;
  /**
   * Names of environment variables holding the config's secrets (its `"env:NAME"` references,
   * `LoadedConfig.envNames`). They never reach a codex child, and are deleted from `process.env`
   * once read (the initial environment block in `/proc/<pid>/environ` keeps them: see the README).
   */
  secretEnv?: readonly string[];
}

/** Default admin socket path for a config. */
export function adminSocketPath(config: Pick<Config, 'adminSocket' | 'stateDir'>): string {
  return config.adminSocket ?? path.join(config.stateDir, 'admin.sock');
}

/**
 * Starts the service. Resolves once channels listen and runtimes were started
 * once (a runtime whose first start failed keeps retrying with backoff).
 * @throws StateError for a corrupt/unknown state file; Error when a channel or the admin socket cannot listen.
 */
export async function startService(config: Config, opts: ServiceOptions): Promise<Service> {
  const clock = opts.clock ?? systemClock;
  const log = opts.logger;
  const startedAt = new Date(clock.now()).toISOString();
  await tightenStateDir(config, log);
  const store = await openStateStore(config.stateDir, { logger: log.child({ component: 'state' }) });
  // One line when the state stops being writable and one when it is again (the store retries meanwhile).
  store.health.onChange((h) => {
    if (h.writable) log.info({ stateDir: config.stateDir }, 'state writable again: new messages are accepted and queued turns run');
    else
      log.error(
        { stateDir: config.stateDir, err: h.error },
        'degraded: state not writable; new messages are refused and no new turn starts until a write succeeds (retried with backoff)',
      );
  });
  const logDir = path.join(config.stateDir, 'logs');
  await ensurePrivateDir(logDir);

  const channels = new Map<string, ChannelAdapter>();
  const channelState = new Map<string, ChannelLifecycle>();
  const dispatchers = new Map<string, Dispatcher>();
  // Late-bound: channels are created before the dispatchers exist; the report reads both on each call.
  const readiness = (): ReadinessReport =>
    readinessOf(
      [...dispatchers.values()].map((d) => {
        const st = d.status();
        return { id: st.id, status: st.status };
      }),
      config.channels.map((c) => {
        const lifecycle = channelState.get(c.id) ?? 'created';
        const connection = lifecycle === 'started' ? channels.get(c.id)?.connection?.() : undefined;
        return { id: c.id, type: c.type, lifecycle, ...(connection !== undefined ? { connection } : {}) };
      }),
      (({ writable, error }) => ({ writable, error }))(store.health.view()),
    );
  const router = new Router(config);
  // Late-bound like readiness: the web console asks which session a conversation's messages join.
  const sessionInfo: SessionInfoSource = (place) => {
    const route = router.route(place.channelId, place.conversation);
    return route ? (dispatchers.get(route.dispatcherId)?.sessionAt(place) ?? null) : null;
  };
  for (const c of config.channels) {
    channels.set(c.id, createChannel(c, { store, logger: log, clock, stateDir: config.stateDir, readiness, sessionInfo }));
    channelState.set(c.id, 'created');
  }

  const secretEnv = opts.secretEnv ?? [];
  const childEnv = childEnvironmentFor(config, secretEnv, process.env);
  for (const name of secretEnv) delete process.env[name];
  if (childEnv.withheld.length > 0) log.warn({ withheld: childEnv.withheld }, 'codex.env variables withheld from the agent: they hold secrets of the config');
  // One start gate for every runtime: dispatchers, teammates and restarts share its slots.
  // Every codex child is recorded, so a start after a kill -9 can reap what that run left (reap.ts).
  const children = await ChildRegistry.open(config.stateDir, log.child({ component: 'children' }));
  const codex: CodexLaunch = { ...codexBinaryFor(config.codex), env: childEnv.env, startGate: startGate(config.codex.startConcurrency), children };
  // One registry for every dispatcher's Stop buttons, so a press from any channel finds its turn.
  const actions = new ActionRegistry(log.child({ component: 'actions' }));
  // Who may press Stop follows the access rules the gate applies to `stop` (channelAccess).
  const policyOf = (channelId: string): ChannelLivePolicy => {
    const c = config.channels.find((ch) => ch.id === channelId);
    if (!c) return DEFAULT_LIVE_POLICY;
    const access = channelAccess(c);
    return {
      admins: access.access?.admins ?? [],
      everyoneIsAdmin: access.everyoneIsAdmin === true,
      liveEnabled: c.live?.enabled ?? true,
      ...(c.live?.minIntervalMs !== undefined ? { minIntervalMs: c.live.minIntervalMs } : {}),
    };
  };
  const approvals = new ApprovalBroker({
    channels,
    store,
    actions,
    config: config.approvals,
    policyOf: (channelId) => {
      const c = config.channels.find((ch) => ch.id === channelId);
      const access = c ? channelAccess(c) : {};
      return {
        approvers: c && c.type !== 'web' ? c.access.approvers : 'requester-or-admins',
        admins: access.access?.admins ?? [],
        everyoneIsAdmin: access.everyoneIsAdmin === true,
      };
    },
    clock,
    logger: log.child({ component: 'approvals' }),
  });
  // The teammate tools for every runtime, served here (no MCP server process per thread); its
  // tools answer once the teammate manager below exists, before any runtime starts.
  let toolOps: TeammateManager | null = null;
  const tokens = new McpCallerTokens();
  const mcpServer: McpHttpServer = await startMcpHttpServer({ tokens, teammates: () => toolOps, logger: log.child({ component: 'mcp' }) });
  const mcp: McpEndpoint = { url: mcpServer.url, tokens };
  let teammates: TeammateManager;
  try {
    for (const d of config.dispatchers) {
      const deps = { store, channels, codex, mcp, logDir, logger: log.child({ dispatcher: d.id }), clock, actions, policyOf, approvals, router };
      dispatchers.set(d.id, await createDispatcher(config, d, deps));
    }
    teammates = new TeammateManager({ config, store, dispatchers, codex, logDir, mcp, approvals, logger: log, clock });
  } catch (err) {
    await mcpServer.close();
    throw err;
  }
  toolOps = teammates;

  const gate = new AccessGate(router, new Map(config.channels.map((c) => [c.id, channelAccess(c)])));
  const onMessage = async (msg: InboundMessage): Promise<AcceptResult> => {
    const decision = gate.decide(msg);
    const where = { channel: msg.channelId, conversation: msg.conversation };
    if (decision.status === 'ignore') {
      if (decision.reason === 'unrouted') {
        log.info(where, 'message from an unbound conversation ignored');
        return { status: 'unrouted' };
      }
      // "Reply in this thread to answer": a reply that answers a pending question needs no @-mention.
      if (decision.reason === 'no_mention' && (await approvals.answerInThread(msg))) return { status: 'handled', command: 'answer' };
      log.debug({ ...where, sender: msg.sender.id, reason: decision.reason }, 'message ignored');
      return { status: 'ignored', reason: decision.reason };
    }
    const dispatcher = dispatchers.get(decision.dispatcherId);
    if (!dispatcher) return { status: 'unrouted' }; // config validation makes this unreachable
    if (decision.status === 'command') return dispatcher.command(msg, decision.command, decision.admin);
    return dispatcher.accept(msg);
  };

  const socket = adminSocketPath(config);
  let admin: AdminServer | null = null;
  let sweeps: { stop(): void } | null = null;
  let health: HealthServer | null = null;
  const service: Service = {
    config,
    store,
    dispatchers,
    channels,
    teammates,
    adminSocket: socket,
    mcp,
    get health() {
      return health;
    },
    readiness,
    status: () => ({
      pid: process.pid,
      startedAt,
      dispatchers: [...dispatchers.values()].map((d) => d.status()),
      teammates: teammates.all(),
      channels: config.channels.map((c) => ({ id: c.id, type: c.type })),
      approvals: approvals.list().map((r) => ({
        id: r.id,
        dispatcherId: r.dispatcherId,
        teammate: r.teammate,
        kind: r.kind,
        summary: r.summary,
        channelId: r.address.channelId,
        conversation: r.address.conversation,
        ageMs: clock.now() - r.requestedAt,
      })),
      quarantined: store.listQuarantine().length,
      state: stateStatusOf(store.health.view()),
    }),
    decideApproval: (id, answer) => approvals.decide(id, answer),
    dispatcherIds: () => [...dispatchers.keys()],
    interrupt: async (id) => {
      const d = dispatchers.get(id);
      return d ? d.interrupt() : null;
    },
    deliverCompletion: (id, input) => dispatchers.get(id)?.deliverCompletion(input) ?? null,
    hasChannel: (id) => channels.has(id),
    completionMaxBytes: config.completions.maxBytes,
    stop: once(async () => {
      sweeps?.stop();
      await admin?.close();
      await health?.close();
      await Promise.allSettled(
        [...channels.entries()].map(async ([id, c]) => {
          channelState.set(id, 'stopped');
          await c.stop();
        }),
      );
      // Teammates first: a result that settles meanwhile is still handed to a running dispatcher.
      await teammates.stop();
      await Promise.allSettled([...dispatchers.values()].map((d) => d.stop()));
      // After the runtimes: a tool call of a turn that was cut off meanwhile still gets its answer.
      await mcpServer.close();
      await store.close();
      log.info('switchboard stopped');
    }),
  };

  try {
    admin = await createAdminServer(socket, { service, logger: log.child({ component: 'admin' }) });
    // Only now: the admin socket proves no other service runs on this state dir, whose children these could be.
    await reapLeftovers(children, log.child({ component: 'children' }));
    // Before the parts start, so /readyz answers 503 while they come up.
    if (config.health) health = await startHealthServer(config.health.listen, readiness, log.child({ component: 'health' }));
    // Channels first: a port clash fails fast before any codex child is spawned.
    for (const [id, c] of channels) {
      channelState.set(id, 'starting');
      try {
        await c.start(withNotQueuedNotice(c, onMessage, log.child({ channel: id })), (event) => actions.press(event));
      } catch (err) {
        channelState.set(id, 'failed');
        throw err;
      }
      channelState.set(id, 'started');
    }
    // Prompts a previous process left pending can no longer be answered: say so on them.
    const expired = await approvals.expireLeftovers();
    if (expired > 0) log.info({ expired }, 'approval prompts of the previous run marked expired');
    await Promise.all([...dispatchers.values()].map((d) => d.start()));
    // After the dispatchers: a task cut off by the restart is reported to its dispatcher at once.
    await teammates.start();
  } catch (err) {
    await service.stop();
    throw err;
  }
  // Spilled completions and Feishu downloads older than retention.filesMaxAgeMs go, unless a queued turn refers to them.
  sweeps = startRetentionSweeps({
    dirs: [path.join(config.stateDir, 'completions'), path.join(config.stateDir, 'feishu')],
    maxAgeMs: config.retention.filesMaxAgeMs,
    keep: (file) => config.dispatchers.some((d) => store.listQueue(d.id).some((e) => JSON.stringify(e).includes(file))),
    clock,
    logger: log.child({ component: 'retention' }),
  });
  log.info({ dispatchers: [...dispatchers.keys()], channels: [...channels.keys()], adminSocket: socket }, 'switchboard started');
  return service;
}

async function createDispatcher(
  config: Config,
  d: DispatcherConfig,
  deps: {
    store: StateStore;
    channels: Map<string, ChannelAdapter>;
    codex: CodexLaunch;
    mcp: McpEndpoint;
    logDir: string;
    logger: Logger;
    clock: Clock;
    actions: ActionRegistry;
    policyOf: (channelId: string) => ChannelLivePolicy;
    approvals: ApprovalBroker;
    router: Router;
  },
): Promise<Dispatcher> {
  await mkdir(d.cwd, { recursive: true });
  const c = config.codex;
  const spec: RuntimeSpec = {
    id: d.id,
    role: d.role,
    cwd: d.cwd,
    developerInstructions: d.instructions ?? null,
    // A record write that fails is kept in memory and written later: no reason to fail a (re)start.
    record: {
      load: () => deps.store.getDispatcher(d.id),
      patch: (p) => keptInMemory(deps.store.patchDispatcher(d.id, p), () => deps.store.getDispatcher(d.id)!),
    },
    logFile: path.join(deps.logDir, `codex-${d.id}.log`),
  };
  if (d.model) spec.model = d.model;
  if (d.approvalPolicy) spec.approvalPolicy = d.approvalPolicy;
  if (d.sandbox) spec.sandbox = d.sandbox;
  const codexRuntime = new CodexRuntime(runtimeOptions(config, spec, deps));
  const runtime: AgentRuntime =
    d.lazyStart || d.idleStopMs !== undefined
      ? new OnDemandRuntime(codexRuntime, {
          id: d.id,
          lazyStart: d.lazyStart,
          idleStopMs: d.idleStopMs ?? null,
          // Queued turns and completions, and approvals the dispatcher's turns wait on, keep it up.
          busy: () => deps.store.listQueue(d.id).length > 0 || deps.approvals.list().some((r) => r.dispatcherId === d.id && r.teammate === null),
          clock: deps.clock,
          logger: deps.logger,
        })
      : codexRuntime;
  return new Dispatcher({
    id: d.id,
    runtime,
    store: deps.store,
    channels: deps.channels,
    queueLimit: d.queueLimit,
    maxConcurrentTurns: d.maxConcurrentTurns,
    // Each session thread's caller token names its session, so teammate tools know whose turn called.
    threadConfig: (key) => switchboardMcpSessionConfig(deps.mcp, d.id, key),
    sessions: d.sessions,
    // A conversation bound to another dispatcher never reaches this one; its route is not ours.
    routeOf: (channelId, conversation) => {
      const route = deps.router.route(channelId, conversation);
      return route?.dispatcherId === d.id ? route : null;
    },
    spillDir: path.join(config.stateDir, 'completions', d.id),
    completionLimits: config.completions,
    turnTimeoutMs: d.turnTimeoutMs ?? c.turnTimeoutMs,
    logger: deps.logger,
    clock: deps.clock,
    actions: deps.actions,
    policyOf: deps.policyOf,
    approvals: deps.approvals,
  });
}

/**
 * Removes group/other access from the state dir and everything in it (one info line naming what
 * was tightened, one warning for what could not be). Dispatcher workspaces inside it are the
 * agent's and the operator's: left alone.
 */
async function tightenStateDir(config: Config, log: Logger): Promise<void> {
  const { tightened, failed } = await tightenTree(
    config.stateDir,
    config.dispatchers.map((d) => d.cwd),
  );
  if (tightened.length > 0) {
    log.info(
      { stateDir: config.stateDir, count: tightened.length, paths: tightened.slice(0, 20) },
      'state dir permissions tightened: group/other access removed',
    );
  }
  if (failed.length > 0) log.warn({ stateDir: config.stateDir, failed: failed.slice(0, 20) }, 'state dir permissions could not all be tightened');
}

/**
 * Access rules per channel type: the web chat is loopback-only or behind its access token, so everyone there is an admin;
 * Slack and Feishu use the channel's `access` lists (users, conversations, admins; Feishu: open_ids and chat_ids).
 */
function channelAccess(c: ChannelConfig): ChannelAccess {
  return c.type === 'web' ? { everyoneIsAdmin: true } : { access: c.access };
}

/** The store's health as `switchboard status` shows it. */
function stateStatusOf(h: StorageHealthView): ServiceStatus['state'] {
  if (h.writable) return { status: 'ok', reason: null, error: null, since: null };
  return { status: 'degraded', reason: 'state not writable', error: h.error, since: h.since === null ? null : new Date(h.since).toISOString() };
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | null = null;
  return () => (p ??= fn());
}
