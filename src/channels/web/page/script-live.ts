/**
 * Page script, part: live answers. A `live` SSE event (src/channels/web/live-bubbles.ts) carries
 * a running turn's whole state; its bubble is created once and then updated in place (the same
 * `li`): the body rebuilt from the Markdown tree, a status line with the activity, the plan with
 * each step's state (✓ done, ▸ in progress, ○ pending), and a Stop button that posts
 * `POST /api/actions` and shows the answer in a toast; prompts get their answer buttons the same way. `live-end` names the final message: the
 * bubble's `li` becomes that message's, so the `message` that follows replaces it in place.
 * The outcome marks the question (stopped / failed).
 *
 * A fragment of the one page script (./script.ts): it shares that function's scope.
 * No template literals inside (String.raw).
 */
export const SCRIPT_LIVE = String.raw`
  var PLAN_MARK = { completed: '✓', inProgress: '▸', pending: '○' };
  var OUTCOME_TEXT = { interrupted: 'stopped', failed: 'failed', abandoned: 'stopped by a restart', unanswered: 'not answered' };

  function toast(text) {
    toastEl.textContent = text;
    toastEl.hidden = false;
    if (st.toastTimer) clearTimeout(st.toastTimer);
    st.toastTimer = setTimeout(function () { toastEl.hidden = true; }, 5000);
  }

  // The "↪ question" line of a reply; null when the question is not shown.
  function replyLine(replyTo) {
    var q = st.messages.get(replyTo), target = st.items.get(replyTo);
    if (!q || q.role !== 'user' || !target) return null;
    var text = q.text.replace(/\s+/g, ' ').trim();
    var b = el('button', 'reply-to', '↪ ' + (text.length > 60 ? text.slice(0, 59) + '…' : text));
    b.type = 'button';
    b.title = 'Show the message this answers';
    b.addEventListener('click', function () {
      var li = st.items.get(replyTo);
      if (!li) return;
      li.scrollIntoView({ block: 'center', behavior: 'smooth' });
      li.classList.add('flash');
      setTimeout(function () { li.classList.remove('flash'); }, 1500);
    });
    return b;
  }

  // The stopped / failed mark on a question, from its final message's outcome or a failed progress.
  function applyOutcome(id) {
    var li = st.items.get(id), m = st.messages.get(id);
    if (!li || !m || m.role !== 'user') return;
    var outcome = st.outcomes.get(id) || (st.unanswered.has(id) ? 'unanswered' : null);
    var mark = li.querySelector('.outcome');
    if (!outcome || outcome === 'completed' || !OUTCOME_TEXT[outcome]) { if (mark) mark.remove(); return; }
    if (!mark) { mark = el('span', 'outcome'); li.querySelector('.meta').appendChild(mark); }
    mark.dataset.outcome = outcome;
    mark.textContent = OUTCOME_TEXT[outcome];
  }

  function setOutcome(id, outcome) {
    if (typeof id !== 'string' || typeof outcome !== 'string') return;
    st.outcomes.set(id, outcome);
    applyOutcome(id);
  }

  function pressStop(btn) {
    var actionId = btn.dataset.action;
    if (!actionId || !st.conversation) return;
    btn.disabled = true;
    btn.textContent = 'Stopping…';
    sendPress(actionId, function (status) {
      if (status === 409) btn.textContent = 'Stop';
      else if (status !== 200) { btn.disabled = false; btn.textContent = 'Stop'; }
    });
  }

  /** POSTs a press to /api/actions and toasts the answer; then after(HTTP status), 0 when the server was not reached. */
  function sendPress(actionId, after) {
    api('/api/actions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ actionId: actionId, conversation: st.conversation })
    }).then(function (r) {
      toast((r.body && (r.body.text || r.body.message)) || ('error ' + r.status));
      after(r.status);
    }, function () { toast('Could not reach the server; try again.'); after(0); });
  }

  function liveParts(b) {
    var li = el('li', 'msg assistant live');
    li.dataset.role = 'assistant';
    li.dataset.id = b.id;
    li.dataset.live = 'running';
    var parts = { li: li, meta: el('div', 'meta'), reply: null, body: el('div', 'body'), status: el('div', 'live-status'),
      plan: el('ol', 'plan'), actions: el('div', 'live-actions'), stop: el('button', 'stop', 'Stop') };
    parts.meta.appendChild(el('span', '', 'codex · ' + timeOf(b.createdAt)));
    parts.stop.type = 'button';
    parts.stop.title = 'Stop this turn';
    parts.stop.addEventListener('click', function () { pressStop(parts.stop); });
    parts.actions.appendChild(parts.stop);
    li.appendChild(parts.meta);
    li.appendChild(parts.body);
    li.appendChild(parts.status);
    li.appendChild(parts.plan);
    li.appendChild(parts.actions);
    return parts;
  }

  function renderLive(b) {
    if (!b || typeof b.id !== 'string' || st.liveEnded.has(b.id)) return;
    var parts = st.live.get(b.id);
    if (!parts) {
      parts = liveParts(b);
      st.live.set(b.id, parts);
      st.items.set(b.id, parts.li);
      listEl.appendChild(parts.li);
    }
    if (!parts.reply && typeof b.replyTo === 'string') {
      parts.reply = replyLine(b.replyTo);
      if (parts.reply) parts.li.insertBefore(parts.reply, parts.body);
    }
    if (b.text && Array.isArray(b.markdown)) renderMarkdown(parts.body, b.markdown);
    else { parts.body.textContent = ''; parts.body.appendChild(el('span', 'live-waiting', '…')); }
    if (b.activity && Array.isArray(b.activityMarkdown)) renderInline(parts.status, b.activityMarkdown);
    else parts.status.textContent = b.text ? 'writing…' : 'working…';
    parts.plan.textContent = '';
    (Array.isArray(b.plan) ? b.plan : []).forEach(function (s) {
      var item = el('li');
      item.dataset.state = s.status;
      item.appendChild(el('span', 'plan-mark', PLAN_MARK[s.status] || '○'));
      item.appendChild(el('span', '', String(s.step)));
      parts.plan.appendChild(item);
    });
    if (typeof b.stopActionId === 'string') parts.stop.dataset.action = b.stopActionId;
  }

  function endLive(e) {
    if (!e || typeof e.id !== 'string') return;
    st.liveEnded.add(e.id);
    if (typeof e.replyTo === 'string' && e.outcome) setOutcome(e.replyTo, e.outcome);
    var parts = st.live.get(e.id);
    if (!parts) return;
    st.live.delete(e.id);
    parts.actions.remove();
    parts.plan.remove();
    parts.li.dataset.live = 'ended';
    if (typeof e.messageId !== 'string') {
      parts.status.textContent = e.note || 'stopped';
      return;
    }
    parts.status.remove();
    st.items.delete(e.id);
    var shown = st.items.get(e.messageId);
    if (shown && shown !== parts.li) { parts.li.remove(); return; }
    // The final message arrives next and is rendered into this same element.
    parts.li.dataset.id = e.messageId;
    st.items.set(e.messageId, parts.li);
  }

  // A prompt (src/channels/web/prompt.ts): title above the body, its answer buttons (each posts
  // its actionId to /api/actions; the answer shows in a toast) and the status line below.
  function renderPrompt(li, body, m) {
    var p = m.prompt;
    li.classList.add('prompt');
    li.insertBefore(el('div', 'prompt-title', String(p.title)), body);
    if (Array.isArray(p.buttons) && p.buttons.length) {
      var row = el('div', 'prompt-actions');
      p.buttons.forEach(function (b) {
        var btn = el('button', 'prompt-button' + (b.style === 'primary' || b.style === 'danger' ? ' ' + b.style : ''), String(b.label));
        btn.type = 'button';
        btn.dataset.action = b.actionId;
        btn.addEventListener('click', function () { pressPrompt(row, btn.dataset.action); });
        row.appendChild(btn);
      });
      li.appendChild(row);
    }
    if (typeof p.status === 'string') {
      var line = el('div', 'prompt-status');
      if (Array.isArray(p.statusMarkdown)) renderInline(line, p.statusMarkdown); else line.textContent = p.status;
      li.appendChild(line);
    }
  }

  function pressPrompt(row, actionId) {
    if (!actionId || !st.conversation) return;
    var buttons = Array.prototype.slice.call(row.querySelectorAll('button'));
    var enable = function (on) { buttons.forEach(function (b) { b.disabled = !on; }); };
    enable(false);
    sendPress(actionId, function (status) { if (status !== 200 && status !== 409) enable(true); });
  }
`;
