/**
 * Switchboard configuration schema (JSON file, validated with zod).
 *
 * Secrets may be given as `"env:NAME"`; the loader replaces them with the
 * environment variable's value before validation of the resolved config.
 * Relative paths are resolved against the directory the service is started from.
 *
 * Each default lives on its field: an absent nested object is `.prefault({})` (zod 4), i.e. `{}`
 * parsed by that object's schema, so its fields' own defaults fill it in.
 */
import { z } from 'zod';
import { isLoopbackHost } from '../http/loopback.js';

const id = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,63}$/, 'must be 1–64 letters, digits, "-" or "_", starting with a letter or digit');

/** `host:port` to listen on; loopback by default. */
const listenAddress = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must look like "127.0.0.1:8787"');

export const backoffSchema = z
  .object({
    /** First restart delay, ms. */
    baseMs: z.number().int().positive().default(1000),
    /** Ceiling of the restart delay, ms. */
    maxMs: z.number().int().positive().default(30_000),
  })
  .strict()
  .refine((b) => b.maxMs >= b.baseMs, { message: 'maxMs must be >= baseMs', path: ['maxMs'] });

/** An environment variable name (POSIX portable: letters, digits, `_`, not starting with a digit). */
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'use an environment variable name: letters, digits and "_", not starting with a digit');

/**
 * What the codex runtimes (and so the agent's shell) get besides the fixed minimal environment of
 * src/codex/child-env.ts. Never a secret of the config: see parseConfig's checks.
 */
export const codexEnvSchema = z
  .object({
    /** Names of variables of the service's environment passed on as they are (absent ones are skipped). */
    pass: z.array(envName).default([]),
    /** Variables set to these literal values (they win over `pass` and the fixed list). */
    set: z.record(envName, z.string()).default({}),
  })
  .strict();

export const codexSchema = z
  .object({
    /** Path of the codex binary; default: the native binary of the `@openai/codex` npm dependency. */
    bin: z.string().min(1).optional(),
    /** CODEX_HOME for the runtimes; default: inherited (`~/.codex`). */
    home: z.string().min(1).optional(),
    model: z.string().min(1).optional(),
    sandbox: z.enum(['read-only', 'workspace-write', 'danger-full-access']).default('workspace-write'),
    approvalPolicy: z.enum(['never', 'on-request', 'untrusted']).default('never'),
    /** The runtimes' environment beyond the fixed minimal one (src/codex/child-env.ts). */
    env: codexEnvSchema.prefault({}),
    /** Extra `-c key=value` overrides passed to `codex app-server` (values are TOML literals). */
    overrides: z.record(z.string(), z.string()).default({}),
    /** Timeout of one JSON-RPC request, ms. */
    requestTimeoutMs: z.number().int().positive().default(30_000),
    /** Timeout of spawn + initialize + thread start/resume, ms (counted from when a start slot is free). */
    startTimeoutMs: z.number().int().positive().default(30_000),
    /** codex app-servers starting at once across the service (dispatchers, teammates, restarts); more wait for a slot. */
    startConcurrency: z.number().int().min(1).max(64).default(4),
    /**
     * Niceness of the app-servers and the commands their agents run (Unix `nice`, 0–19): under CPU
     * contention the service's own work (acknowledging messages, posting replies) goes first. 0: as the service.
     */
    niceness: z.number().int().min(0).max(19).default(10),
    /** A running turn longer than this is interrupted and reported failed, ms. */
    turnTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(15 * 60_000),
    restartBackoff: backoffSchema.prefault({}),
  })
  .strict();

/**
 * Live answers on a channel (src/channels/live.ts): the answer streamed while it is written, what
 * the agent does, its plan and a Stop button. Off: the answer arrives as one message, as before.
 * Absent = enabled, with the platform's own interval.
 */
export const liveSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Least time between two updates of one live element, ms; raised to the platform's own floor when lower. */
    minIntervalMs: z.number().int().min(0).optional(),
  })
  .strict();

export const webChannelSchema = z
  .object({
    id,
    type: z.literal('web'),
    listen: listenAddress.default('127.0.0.1:8787'),
    /** Largest accepted message text, bytes (UTF-8). */
    maxTextBytes: z.number().int().positive().default(16_384),
    /** Messages kept per conversation for the page and GET API. */
    historyLimit: z.number().int().positive().default(500),
    live: liveSchema.optional(),
    /**
     * Access token (≥ 16 characters; `env:NAME` recommended): required off loopback. Clients send
     * `Authorization: Bearer <token>`; people sign in once at `/login` (an HttpOnly cookie follows).
     */
    auth: z
      .object({ token: z.string().min(16, 'an access token needs at least 16 characters; make one with `openssl rand -hex 32`') })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const host = c.listen.slice(0, c.listen.lastIndexOf(':'));
    if (!c.auth && host !== '' && !isLoopbackHost(host)) {
      ctx.addIssue({
        code: 'custom',
        path: ['auth'],
        message: `the web chat listens off loopback (${c.listen}) and has no authentication`,
        params: {
          fix: 'add "auth": {"token": "env:SWITCHBOARD_WEB_TOKEN"} and set that variable to a long random token (openssl rand -hex 32), or listen on "127.0.0.1:<port>"',
        },
      });
    }
  });

/** Who may use a chat channel; absent lists = no restriction (admins: nobody). */
export const accessSchema = z
  .object({
    /** Platform user ids allowed to talk to the bot (Slack `U…`, Feishu `open_id`); absent = everyone. */
    users: z.array(z.string().min(1)).optional(),
    /** Platform conversation ids the bot answers in (Slack channel/DM ids, Feishu `chat_id`); absent = all. */
    conversations: z.array(z.string().min(1)).optional(),
    /** Platform user ids allowed to run the `stop` and `status` commands (and, per `approvers`, to answer approvals). */
    admins: z.array(z.string().min(1)).default([]),
    /**
     * Who may answer an approval or question Codex asks during a turn: the sender of the message
     * that started the turn, the channel's admins, or either (default).
     */
    approvers: z.enum(['requester-or-admins', 'requester', 'admins']).default('requester-or-admins'),
  })
  .strict();

/** Progress reactions on the source message (Slack emoji names without colons). */
export const slackProgressSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** While queued or running. */
    working: z.string().min(1).default('eyes'),
    done: z.string().min(1).default('white_check_mark'),
    failed: z.string().min(1).default('x'),
  })
  .strict();

export const slackChannelSchema = z
  .object({
    id,
    type: z.literal('slack'),
    /** `socket`: Socket Mode (no public URL; needs appToken). `http`: Events API (needs signingSecret). */
    mode: z.enum(['socket', 'http']).default('socket'),
    botToken: z.string().regex(/^xoxb-/, 'must be a bot token starting with "xoxb-"'),
    appToken: z
      .string()
      .regex(/^xapp-/, 'must be an app-level token starting with "xapp-"')
      .optional(),
    signingSecret: z.string().min(1).optional(),
    /** HTTP mode: where the Events API endpoint listens. */
    listen: listenAddress.default('127.0.0.1:3000'),
    /** HTTP mode: request path of the Events API endpoint. */
    path: z.string().regex(/^\//, 'must start with "/"').default('/slack/events'),
    /** Web API base URL (tests point it at a fake); default Slack's `https://slack.com/api/`. */
    apiUrl: z.string().url().optional(),
    /** Answer messages from other bots too. */
    allowBots: z.boolean().default(false),
    access: accessSchema.prefault({}),
    progress: slackProgressSchema.prefault({}),
    live: liveSchema.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.mode === 'socket' && !c.appToken) {
      ctx.addIssue({
        code: 'custom',
        path: ['appToken'],
        message: 'Socket Mode needs an app-level token (xapp-…); or set "mode": "http" with a signingSecret',
      });
    }
    if (c.mode === 'http' && !c.signingSecret) {
      ctx.addIssue({ code: 'custom', path: ['signingSecret'], message: "HTTP mode needs the app's signing secret to verify requests" });
    }
  });

/** Progress reactions on the source message (Feishu `emoji_type` names, e.g. `OnIt`, `DONE`, `CrossMark`). */
export const feishuProgressSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** While queued or running. */
    working: z.string().min(1).default('OnIt'),
    done: z.string().min(1).default('DONE'),
    failed: z.string().min(1).default('CrossMark'),
  })
  .strict();

/**
 * Images and files sent to the bot: downloaded into `<stateDir>/feishu/<channel id>/files/` after
 * the message was accepted (the event is acknowledged first) and passed to the turn as paths.
 */
export const feishuFilesSchema = z
  .object({
    /** Download images/files of messages (off: the agent gets a short note instead). */
    download: z.boolean().default(true),
    /** Larger resources are not downloaded (the agent is told), bytes. Feishu serves at most 100 MB. */
    maxBytes: z
      .number()
      .int()
      .positive()
      .default(20 * 1024 * 1024),
    /**
     * Longest one download may take, ms (the request and the bytes). Downloads run after the event
     * was acknowledged and before the message's turn, which waits for them; a download that takes
     * longer is named in the turn text as not downloaded.
     */
    downloadTimeoutMs: z.number().int().positive().default(30_000),
  })
  .strict();

export const feishuChannelSchema = z
  .object({
    id,
    type: z.literal('feishu'),
    /** `websocket`: long connection (no public URL). `webhook`: HTTP event subscription (needs verificationToken). */
    mode: z.enum(['websocket', 'webhook']).default('websocket'),
    /** `feishu` (open.feishu.cn), `lark` (open.larksuite.com), or an Open API base URL (tests point it at a fake). */
    domain: z.union([z.enum(['feishu', 'lark']), z.string().url()]).default('feishu'),
    appId: z.string().regex(/^cli_[0-9a-zA-Z]+$/, 'must be an app id starting with "cli_"'),
    appSecret: z.string().min(1),
    /** Event subscription verification token; required in webhook mode, checked in both modes when set. */
    verificationToken: z.string().min(1).optional(),
    /** Event subscription encrypt key (webhook mode): events are then encrypted and signed. */
    encryptKey: z.string().min(1).optional(),
    /** Webhook mode: where the event endpoint listens. */
    listen: listenAddress.default('127.0.0.1:3001'),
    /** Webhook mode: request path of the event endpoint. */
    path: z.string().regex(/^\//, 'must start with "/"').default('/feishu/events'),
    access: accessSchema.prefault({}),
    progress: feishuProgressSchema.prefault({}),
    files: feishuFilesSchema.prefault({}),
    live: liveSchema.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.mode === 'webhook' && !c.verificationToken) {
      ctx.addIssue({ code: 'custom', path: ['verificationToken'], message: "webhook mode needs the app's event subscription Verification Token" });
    }
    if (c.mode === 'websocket' && !/^cli_[0-9a-fA-F]{16}$/.test(c.appId)) {
      ctx.addIssue({ code: 'custom', path: ['appId'], message: 'the long connection needs an app id of the form cli_ + 16 hex digits' });
    }
  });

export const channelSchema = z.discriminatedUnion('type', [webChannelSchema, slackChannelSchema, feishuChannelSchema]);

export const bindingSchema = z
  .object({
    /** A declared channel id. */
    channel: id,
    /** Platform conversation id (web: conversation name); `*` or absent = every conversation. */
    conversation: z.string().min(1).default('*'),
    /** In shared conversations only messages that mention the bot start turns; direct messages always do. */
    requireMention: z.boolean().default(true),
    /**
     * How wide one Codex thread's context is: `dispatcher` (one thread for everything the
     * dispatcher serves), `conversation` (one per chat, channel or DM), `thread` (one per Slack
     * thread, Feishu topic or reply chain, web conversation).
     */
    session: z.enum(['dispatcher', 'conversation', 'thread']).default('dispatcher'),
    /**
     * A message for a session whose turn runs: `queue` (runs next, in order), `steer` (added to the
     * running turn with `turn/steer`; queued when it cannot be), `interrupt` (stops the running turn, then runs).
     */
    busy: z.enum(['queue', 'steer', 'interrupt']).default('queue'),
  })
  .strict();

/** Sessions of scope `conversation` / `thread` (src/dispatch/sessions/). */
export const sessionsSchema = z
  .object({
    /** A session's thread is unloaded from the app-server after this long without a message or turn, ms (it resumes on the next). */
    idleUnloadMs: z
      .number()
      .int()
      .positive()
      .default(30 * 60_000),
    /** Session threads loaded in the app-server at once; opening one more unloads the least recently active idle one. */
    maxLoaded: z.number().int().positive().default(20),
    /** Session records kept in state; beyond it the least recently active idle ones are forgotten. */
    keep: z.number().int().positive().default(500),
    /** Accepted, unsettled turns one session may hold; more are refused in chat (the dispatcher's queueLimit applies too). */
    queueLimit: z.number().int().positive().default(20),
  })
  .strict();

export const dispatcherSchema = z
  .object({
    id,
    /** Working directory of the dispatcher's runtime (created if missing). */
    cwd: z.string().min(1).default('./workspace'),
    role: z.enum(['dispatcher']).default('dispatcher'),
    bindings: z.array(bindingSchema).min(1, 'a dispatcher needs at least one binding'),
    /** Accepted, unsettled inbound turns allowed at once; more are refused in chat. */
    queueLimit: z.number().int().positive().default(100),
    /**
     * Turns of different sessions that may run at once on the dispatcher's app-server (each
     * session still runs its turns one at a time, in order). 1 = one global FIFO.
     */
    maxConcurrentTurns: z.number().int().positive().max(64).default(1),
    sessions: sessionsSchema.prefault({}),
    /** Start the dispatcher's app-server on its first message (or completion) instead of at service start. */
    lazyStart: z.boolean().default(false),
    /**
     * Stop the app-server after this long with no turn, nothing queued and no pending approval, ms
     * (status `idle`; the next message starts it again and resumes its thread). Absent: never.
     */
    idleStopMs: z.number().int().positive().optional(),
    /** Overrides codex.turnTimeoutMs for this dispatcher, ms. */
    turnTimeoutMs: z.number().int().positive().optional(),
    /** Extra developer instructions for this dispatcher's thread. */
    instructions: z.string().optional(),
    model: z.string().min(1).optional(),
    /** Overrides codex.approvalPolicy for this dispatcher's thread: when Codex asks in chat before acting. */
    approvalPolicy: z.enum(['never', 'on-request', 'untrusted']).optional(),
    /** Overrides codex.sandbox for this dispatcher's thread. */
    sandbox: z.enum(['read-only', 'workspace-write', 'danger-full-access']).optional(),
  })
  .strict();

export const skillsSchema = z
  .object({
    /** Skill root directories (children are skill dirs) per runtime role. */
    roots: z.record(z.string(), z.array(z.string().min(1))).optional(),
  })
  .strict();

export const configSchema = z
  .object({
    /** State file, logs, admin socket. `$SWITCHBOARD_STATE_DIR` overrides it when a file is loaded (see load.ts). */
    stateDir: z.string().min(1).default('./.switchboard'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
    /** `pretty` (lines for a person) or `json`; default: pretty on a terminal, JSON otherwise. */
    logFormat: z.enum(['json', 'pretty']).optional(),
    /** Admin unix socket path; default `<stateDir>/admin.sock`. */
    adminSocket: z.string().min(1).optional(),
    codex: codexSchema.prefault({}),
    channels: z.array(channelSchema).min(1, 'declare at least one channel'),
    dispatchers: z.array(dispatcherSchema).min(1, 'declare at least one dispatcher'),
    routing: z
      .object({
        /** Dispatcher for messages from conversations no binding names; absent = ignore them. */
        defaultDispatcher: id.optional(),
      })
      .strict()
      .default({}),
    skills: skillsSchema.default({}),
    /**
     * Stand-alone listener for `GET /healthz` and `GET /readyz`, for configs without a web channel
     * (a web channel serves both routes itself).
     */
    health: z
      .object({
        listen: listenAddress,
      })
      .strict()
      .optional(),
    /** Approvals and questions Codex asks in chat (approval policy `on-request` / `untrusted`). */
    approvals: z
      .object({
        /** An unanswered prompt gets the `onTimeout` answer after this long, ms (default 10 min). */
        timeoutMs: z
          .number()
          .int()
          .positive()
          .default(10 * 60_000),
        /** The answer a timeout gives: `decline` (the agent continues without it) or `cancel` (the turn stops). */
        onTimeout: z.enum(['decline', 'cancel']).default('decline'),
        /** Settled approvals kept in state for `switchboard approvals list` and audit. */
        keep: z.number().int().positive().default(200),
      })
      .strict()
      .prefault({}),
    /** How long the files kept beside the state live (src/state/retention.ts). */
    retention: z
      .object({
        /** Spilled completions and Feishu downloads older than this are removed (unless a queued turn still refers to them), ms. */
        filesMaxAgeMs: z
          .number()
          .int()
          .positive()
          .default(7 * 24 * 3600_000),
        /** A codex log larger than this is rotated to `<log>.1` before the next app-server start, bytes. */
        logMaxBytes: z
          .number()
          .int()
          .positive()
          .default(10 * 1024 * 1024),
      })
      .strict()
      .prefault({}),
    /** Teammate runtimes (spawned by dispatchers' agents). */
    teammates: z
      .object({
        /**
         * Stop a teammate's app-server after this long with no task, ms (status `idle`; its next task
         * starts it again on the same thread). null: never.
         */
        idleStopMs: z
          .number()
          .int()
          .positive()
          .nullable()
          .default(30 * 60_000),
        /**
         * When a teammate's codex asks before acting (its approvals go to the conversation of the
         * dispatcher turn that gave the task). Absent: the owning dispatcher's policy.
         */
        approvalPolicy: z.enum(['never', 'on-request', 'untrusted']).optional(),
        /** The teammates' sandbox. Absent: the owning dispatcher's. */
        sandbox: z.enum(['read-only', 'workspace-write', 'danger-full-access']).optional(),
      })
      .strict()
      .prefault({}),
    /** Completions delivered to dispatchers (teammates, external agents). */
    completions: z
      .object({
        /** Larger completions are refused, bytes. */
        maxBytes: z
          .number()
          .int()
          .positive()
          .default(8 * 1024 * 1024),
        /** Larger completions are spilled to `<stateDir>/completions/<dispatcher>/<id>.md`, bytes. */
        spillBytes: z
          .number()
          .int()
          .positive()
          .default(32 * 1024),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ChannelConfig = z.infer<typeof channelSchema>;
export type WebChannelConfig = z.infer<typeof webChannelSchema>;
/** The access lists the gate applies (approvers is the approval broker's). */
export type AccessConfig = Omit<z.infer<typeof accessSchema>, 'approvers'>;
export type ApproversRule = z.infer<typeof accessSchema>['approvers'];
export type ApprovalsConfig = z.infer<typeof configSchema>['approvals'];
export type SlackChannelConfig = z.infer<typeof slackChannelSchema>;
export type FeishuChannelConfig = z.infer<typeof feishuChannelSchema>;
export type DispatcherConfig = z.infer<typeof dispatcherSchema>;
export type BindingConfig = z.infer<typeof bindingSchema>;
export type SessionsConfig = z.infer<typeof sessionsSchema>;
export type CodexEnvConfig = z.infer<typeof codexEnvSchema>;
export type RuntimeRole = 'dispatcher' | 'teammate';
