/**
 * Approvals and questions in chat: the broker between a running turn's Codex server requests
 * (src/codex/turn-runner.ts `onServerRequest`) and the people in the turn's conversation.
 *
 * - `ask` posts one prompt message in the turn's thread (the channel's `prompts` capability, see
 *   src/channels/prompt.ts; a channel without it gets a plain notice naming the operator command)
 *   with one button per answer, each an opaque action id (./../actions.ts) bound to this request,
 *   its channel and conversation, and who may answer (config `access.approvers`: the sender of the
 *   message that started the turn and/or the channel's admins; everyone in the loopback web chat).
 * - The first valid answer wins: the prompt is updated to show it, who gave it and when, every
 *   button of the request is retired (a later press is told who decided), the decision is logged
 *   and kept in state (newest `approvals.keep`), and codex gets the reply.
 * - Never stuck: no answer within `approvals.timeoutMs` → the `approvals.onTimeout` answer;
 *   `withdraw` (stop, Stop button) declines a turn's pending requests; codex settling a request
 *   itself, the turn ending or the runtime being lost (the request's abort signal) retires the
 *   prompt; a service restart marks prompts left pending `expired` (`expireLeftovers`).
 * - Questions (`request_user_input`) are asked one at a time; a reply in the thread from someone
 *   who may answer answers the current question where free text is allowed (`answerInThread`); a
 *   platform's redelivery of that reply (same message id) is swallowed, not taken as the next answer.
 * - Operators answer a pending request by its short id (`decide`, `switchboard approvals`).
 */
import { randomBytes } from 'node:crypto';
import { labelAttachmentSlots } from '../../channels/attachments.js';
import type { ChannelAdapter, InboundMessage, ReplyAddress } from '../../channels/types.js';
import type { PromptView } from '../../channels/prompt.js';
import type { Clock } from '../../clock.js';
import type { ApprovalsConfig, ApproversRule } from '../../config/schema.js';
import type { ServerRequestReply } from '../../codex/server-requests.js';
import type { ServerRequestEnd, TurnServerRequest } from '../../codex/turn-runner.js';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { ApprovalRecord, StateStore } from '../../state/types.js';
import type { ActionRegistry } from '../actions.js';
import { describeQuestion, describeRequest, type Asked, type Choice } from './asked.js';

/** Who may answer prompts in a channel. */
export interface ApprovalChannelPolicy {
  approvers: ApproversRule;
  admins: readonly string[];
  /** The loopback web chat: everyone there is an admin. */
  everyoneIsAdmin: boolean;
}

export interface ApprovalBrokerDeps {
  channels: ReadonlyMap<string, ChannelAdapter>;
  store: StateStore;
  actions: ActionRegistry;
  config: ApprovalsConfig;
  policyOf: (channelId: string) => ApprovalChannelPolicy;
  clock: Clock;
  logger: Logger;
}

/** The turn a request belongs to. */
export interface ApprovalContext {
  dispatcherId: string;
  /** Teammate whose turn asks; null for the dispatcher. */
  teammate: string | null;
  /** The turn's key (queue entry id), for `withdraw`. */
  turnKey: string;
  /** The conversation the prompt goes to. */
  address: ReplyAddress;
  /** Sender of the message that started the turn; null for completion trigger turns. */
  requester: { id: string; name?: string } | null;
}

/** Who answered: a chat user, or `operator` through the admin socket. */
type Answerer = { id: string; name?: string };

interface Pending {
  record: ApprovalRecord;
  ctx: ApprovalContext;
  current: Asked;
  actionIds: string[];
  resolve: (reply: ServerRequestReply) => void;
  timer: { cancel(): void };
  /** `request_user_input`: the questions, the next one's index, the answers so far. */
  questions: {
    list: NonNullable<Extract<TurnServerRequest['request'], { method: 'item/tool/requestUserInput' }>['params']['questions']>;
    index: number;
    answers: Record<string, { answers: string[] }>;
  } | null;
  settledText: string | null;
}

/** Result of an operator's `approve`/`decline`. */
export type DecideResult = { status: 'done'; text: string } | { status: 'not_found' } | { status: 'unsupported'; text: string };

/** Answer messages remembered against redelivery (in memory: prompts do not outlive the process). */
const ANSWER_KEYS_KEPT = 1000;

/** The status line of a prompt still waiting: how to answer by text, where its question allows it. */
const replyHint = (asked: Asked): string | null => (asked.fromText ? 'Reply in this thread to answer.' : null);

const time = (ms: number): string => `${new Date(ms).toISOString().slice(11, 16)} UTC`;

export class ApprovalBroker {
  private readonly pending = new Map<string, Pending>();
  /** Message keys (`channel:conversation:messageId`) taken as answers, oldest first, at most ANSWER_KEYS_KEPT. */
  private readonly answers = new Set<string>();

  constructor(private readonly deps: ApprovalBrokerDeps) {}

  /** Asks the conversation; resolves with codex's reply once someone (or the timeout) decided, or the signal ended it. Never rejects. */
  ask(ctx: ApprovalContext, turn: TurnServerRequest): Promise<ServerRequestReply> {
    return new Promise<ServerRequestReply>((resolve) => {
      const now = this.deps.clock.now();
      const id = `ap-${randomBytes(4).toString('hex')}`;
      const { request } = turn;
      let questions: Pending['questions'] = null;
      let current: Asked;
      if (request.method === 'item/tool/requestUserInput') {
        questions = { list: request.params.questions, index: 0, answers: {} };
        if (questions.list.length === 0) {
          resolve({ status: 'result', result: { answers: {} } } as ServerRequestReply);
          return;
        }
        current = this.questionAsked(questions);
      } else current = describeRequest(request, turn.item);
      const record: ApprovalRecord = {
        id,
        dispatcherId: ctx.dispatcherId,
        teammate: ctx.teammate,
        kind: current.kind,
        summary: current.summary,
        address: ctx.address,
        prompt: null,
        state: 'pending',
        decision: null,
        decidedBy: null,
        requestedAt: now,
        settledAt: null,
      };
      const timer = this.deps.clock.setTimeout(() => void this.onTimeout(id), this.deps.config.timeoutMs);
      const p: Pending = { record, ctx, current, actionIds: [], resolve, timer, questions, settledText: null };
      this.pending.set(id, p);
      turn.signal.addEventListener('abort', () => void this.onAbort(id, turn.signal.reason as ServerRequestEnd), { once: true });
      this.deps.logger.info(
        { approval: id, dispatcher: ctx.dispatcherId, teammate: ctx.teammate, kind: record.kind, method: request.method },
        'approval asked in chat',
      );
      void this.post(p);
    });
  }

  /** Pending requests, oldest first (status, `switchboard approvals list`). */
  list(): ApprovalRecord[] {
    return [...this.pending.values()].map((p) => ({ ...p.record }));
  }

  /**
   * A chat message that answers a pending question by text: same channel and conversation, in the
   * prompt's thread (or top level where the turn was), from someone who may answer. True when it
   * was taken as the answer (then it is not a turn).
   */
  async answerInThread(msg: InboundMessage): Promise<boolean> {
    // A platform's redelivery of a message already taken as an answer (Slack retries, Feishu
    // resends) is that answer again: swallowed, so it cannot answer the next question too.
    const key = `${msg.channelId}:${msg.conversation}:${msg.messageId}`;
    if (this.answers.has(key)) return true;
    for (const p of this.pending.values()) {
      const a = p.ctx.address;
      if (!p.current.fromText || a.channelId !== msg.channelId || a.conversation !== msg.conversation) continue;
      const thread = msg.thread ?? null;
      if (thread !== (a.thread ?? null) && thread !== a.messageId) continue;
      if (!this.mayAnswer(p, msg.sender.id)) continue;
      const by = msg.sender.name !== undefined ? { id: msg.sender.id, name: msg.sender.name } : { id: msg.sender.id };
      // An answer is text: attachments are named, not downloaded (that would hold the platform's acknowledgement).
      const text = labelAttachmentSlots(msg.text, msg.attachments).trim();
      this.answers.add(key);
      if (this.answers.size > ANSWER_KEYS_KEPT) this.answers.delete(this.answers.values().next().value as string);
      await this.choose(
        p,
        { key: 'text', label: text, done: `Answered “${text.length > 60 ? `${text.slice(0, 59)}…` : text}”`, reply: p.current.fromText(text) },
        by,
      );
      return true;
    }
    return false;
  }

  /** Declines every pending request of turn `turnKey` (stop, Stop button), naming who stopped it; returns how many. */
  async withdraw(turnKey: string, by: string): Promise<number> {
    const mine = [...this.pending.values()].filter((p) => p.ctx.turnKey === turnKey);
    for (const p of mine) {
      const decline = p.current.onTimeout('decline');
      await this.settle(p, {
        state: 'decided',
        choice: decline,
        by: null,
        status: `⛔ Declined: the turn was stopped by ${by} (${time(this.deps.clock.now())})`,
      });
    }
    return mine.length;
  }

  /** An operator's answer to pending request `id`: approve = its first (approving) answer, decline = its declining one. */
  async decide(id: string, answer: 'approve' | 'decline'): Promise<DecideResult> {
    const p = this.pending.get(id);
    if (!p) return { status: 'not_found' };
    const choice = answer === 'decline' ? p.current.onTimeout('decline') : p.current.choices[0];
    if (!choice || (answer === 'approve' && p.record.kind === 'question' && p.current.choices.length <= 1)) {
      return { status: 'unsupported', text: 'this question has no answer to approve; decline it, or answer it in chat' };
    }
    await this.choose(p, choice, { id: 'operator', name: 'an operator' });
    return { status: 'done', text: `${choice.done} (${p.record.summary})` };
  }

  /** Marks prompts a previous process left pending `expired` (their app-server is gone); returns how many. */
  async expireLeftovers(): Promise<number> {
    const left = this.deps.store.listApprovals().filter((r) => r.state === 'pending' && !this.pending.has(r.id));
    for (const r of left) {
      const now = this.deps.clock.now();
      const adapter = this.deps.channels.get(r.address.channelId);
      if (r.prompt && adapter?.prompts) {
        await adapter.prompts.update(r.address, r.prompt.ref, {
          title: '🔐 Approval',
          body: r.summary,
          buttons: [],
          status: `⌛ Expired: the service restarted before anyone answered (${time(now)})`,
        });
      }
      await this.deps.store.putApproval({ ...r, state: 'expired', settledAt: now }, this.deps.config.keep);
      this.deps.logger.info({ approval: r.id, dispatcher: r.dispatcherId }, 'approval expired: the service restarted');
    }
    return left.length;
  }

  private questionAsked(q: NonNullable<Pending['questions']>): Asked {
    const question = q.list[q.index];
    if (!question) throw new Error('no question left');
    return describeQuestion(question, q.index, q.list.length, (answer) => {
      const answers = { ...q.answers, [question.id]: { answers: [answer] } };
      return { status: 'result', result: { answers } } as ServerRequestReply;
    });
  }

  private mayAnswer(p: Pending, userId: string): boolean {
    const policy = this.deps.policyOf(p.ctx.address.channelId);
    if (policy.everyoneIsAdmin) return true;
    const isRequester = p.ctx.requester?.id === userId;
    const isAdmin = policy.admins.includes(userId);
    if (policy.approvers === 'requester') return isRequester;
    if (policy.approvers === 'admins') return isAdmin;
    return isRequester || isAdmin;
  }

  private allowedIds(p: Pending): string[] {
    const policy = this.deps.policyOf(p.ctx.address.channelId);
    const ids = policy.approvers === 'requester' ? [] : [...policy.admins];
    if (policy.approvers !== 'admins' && p.ctx.requester) ids.push(p.ctx.requester.id);
    return ids;
  }

  private view(p: Pending, status: string | null): PromptView {
    const label = p.ctx.teammate ? ` (teammate ${p.ctx.teammate})` : '';
    return {
      title: `${p.current.title}${label}`,
      body: p.current.body,
      buttons: status === null || p.settledText === null ? this.buttons(p) : [],
      status,
    };
  }

  /** Issues one action id per answer of the current question/request. */
  private buttons(p: Pending): PromptView['buttons'] {
    for (const old of p.actionIds) this.deps.actions.retire(old);
    const policy = this.deps.policyOf(p.ctx.address.channelId);
    const who =
      policy.approvers === 'requester' ? 'the person who asked' : policy.approvers === 'admins' ? 'a channel admin' : 'the person who asked or a channel admin';
    p.actionIds = p.current.choices.map((choice) =>
      this.deps.actions.issue({
        channelId: p.ctx.address.channelId,
        conversation: p.ctx.address.conversation,
        allowedUserIds: this.allowedIds(p),
        everyoneAllowed: policy.everyoneIsAdmin,
        refusedText: `Only ${who} can answer this.`,
        staleText: () => p.settledText ?? 'This was already answered.',
        run: async (by) => {
          if (p.settledText !== null || !this.pending.has(p.record.id)) return p.settledText ?? 'This was already answered.';
          return this.choose(p, choice, by);
        },
      }),
    );
    return p.current.choices.map((c, i) => ({ actionId: p.actionIds[i] as string, label: c.label, ...(c.style ? { style: c.style } : {}) }));
  }

  private async post(p: Pending): Promise<void> {
    const adapter = this.deps.channels.get(p.ctx.address.channelId);
    const hint = replyHint(p.current);
    const shown = p.current;
    try {
      if (adapter?.prompts) {
        const res = await adapter.prompts.post(p.ctx.address, this.view(p, hint));
        if (res.status === 'sent') {
          p.record.prompt = { channelId: p.ctx.address.channelId, ref: res.ref };
          // A settle that raced the post (timeout 0, abort) updates the message it now knows; so
          // does an answer that came before the post resolved (the next question is shown).
          if (p.settledText !== null) await adapter.prompts.update(p.ctx.address, res.ref, this.view(p, p.settledText));
          else if (p.current !== shown) await adapter.prompts.update(p.ctx.address, res.ref, this.view(p, replyHint(p.current)));
        } else this.deps.logger.warn({ approval: p.record.id, err: res.error }, 'approval prompt could not be posted');
      } else if (adapter) {
        const text = `**${p.current.title}**\n${p.current.body}\n\n_This channel cannot show buttons: an operator can answer with \`switchboard approvals approve ${p.record.id}\` or \`decline ${p.record.id}\`._`;
        await adapter.send(p.ctx.address, { kind: 'notice', text, idempotencyKey: `approval:${p.record.id}` });
      }
      if (this.pending.has(p.record.id)) {
        await this.deps.store.putApproval(p.record, this.deps.config.keep);
        // From here a restart can mark the prompt expired (expireLeftovers knows its message).
        this.deps.logger.info({ approval: p.record.id, posted: p.record.prompt !== null }, 'approval prompt kept in state');
      }
    } catch (err) {
      this.deps.logger.warn({ approval: p.record.id, err: errorMessage(err) }, 'approval prompt failed');
    }
  }

  /** Applies `choice` by `by`: advances a multi-question request, else settles. Returns what the answerer is told. */
  private async choose(p: Pending, choice: Choice, by: Answerer): Promise<string> {
    if (p.questions && choice.key !== 'decline' && choice.reply.status === 'result') {
      const q = p.questions;
      const question = q.list[q.index];
      if (question) q.answers[question.id] = { answers: [choice.key === 'text' ? choice.label : choice.key] };
      q.index++;
      if (q.index < q.list.length) {
        p.current = this.questionAsked(q);
        const adapter = this.deps.channels.get(p.ctx.address.channelId);
        if (p.record.prompt && adapter?.prompts) await adapter.prompts.update(p.ctx.address, p.record.prompt.ref, this.view(p, replyHint(p.current)));
        return `${choice.done}; next question.`;
      }
      choice = { ...choice, reply: { status: 'result', result: { answers: q.answers } } as ServerRequestReply };
    }
    // The sender is named as the chat knows them (platforms' press payloads carry ids or handles).
    if (by.id === p.ctx.requester?.id && p.ctx.requester.name) by = { ...by, name: p.ctx.requester.name };
    const who = by.name ?? by.id;
    const mark = choice.style === 'primary' || choice.key === 'text' ? '✅' : choice.style === 'danger' ? '⛔' : '✅';
    await this.settle(p, { state: 'decided', choice, by, status: `${mark} ${choice.done} by ${who} (${time(this.deps.clock.now())})` });
    return `${choice.done}.`;
  }

  private async onTimeout(id: string): Promise<void> {
    const p = this.pending.get(id);
    if (!p) return;
    const choice = p.current.onTimeout(this.deps.config.onTimeout);
    const minutes = Math.round(this.deps.config.timeoutMs / 60_000);
    const after = minutes >= 1 ? `${minutes} min` : `${Math.round(this.deps.config.timeoutMs / 1000)} s`;
    await this.settle(p, {
      state: 'timedOut',
      choice,
      by: null,
      status: `⏱️ No answer within ${after}: ${choice.done.toLowerCase()} (${time(this.deps.clock.now())})`,
    });
  }

  private async onAbort(id: string, reason: ServerRequestEnd): Promise<void> {
    const p = this.pending.get(id);
    if (!p) return;
    const why =
      reason === 'resolved'
        ? 'codex no longer needs an answer'
        : reason === 'turnEnded'
          ? 'the turn ended'
          : 'the agent runtime was lost; the turn will be retried or reported';
    await this.settle(p, {
      state: reason === 'runtimeLost' ? 'expired' : 'withdrawn',
      choice: null,
      by: null,
      status: `➖ No longer needed: ${why} (${time(this.deps.clock.now())})`,
    });
  }

  /** Settles once: codex gets the reply, the prompt shows `status` without buttons, state and log keep the decision. */
  private async settle(p: Pending, s: { state: ApprovalRecord['state']; choice: Choice | null; by: Answerer | null; status: string }): Promise<void> {
    if (p.settledText !== null) return;
    p.settledText = s.status;
    this.pending.delete(p.record.id);
    p.timer.cancel();
    for (const a of p.actionIds) this.deps.actions.retire(a);
    p.resolve(s.choice?.reply ?? { status: 'error', message: 'the request is no longer pending' });
    const now = this.deps.clock.now();
    p.record = { ...p.record, state: s.state, decision: s.choice?.key ?? null, decidedBy: s.by, settledAt: now };
    this.deps.logger.info(
      { approval: p.record.id, dispatcher: p.record.dispatcherId, kind: p.record.kind, state: s.state, decision: p.record.decision, by: s.by?.id ?? null },
      'approval settled',
    );
    const adapter = this.deps.channels.get(p.ctx.address.channelId);
    try {
      if (p.record.prompt && adapter?.prompts) await adapter.prompts.update(p.ctx.address, p.record.prompt.ref, this.view(p, s.status));
      await this.deps.store.putApproval(p.record, this.deps.config.keep);
    } catch (err) {
      this.deps.logger.warn({ approval: p.record.id, err: errorMessage(err) }, 'approval settlement could not be shown or kept');
    }
  }
}
