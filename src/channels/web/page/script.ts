/**
 * The web chat page's script: plain DOM, message text only ever inserted with textContent /
 * text nodes (never innerHTML). One function scope made of the fragments ./script-markdown.ts
 * (bodies, code blocks) and ./script-live.ts (live bubbles, Stop, outcome marks) and the core
 * below (history, SSE, conversations, the composer). Allowed by its hash in the page's CSP.
 *
 * Server events it follows (GET /api/events?conversation=NAME): `message` (a stored message),
 * `progress` ({messageId, state}), `prompt` (a prompt message, again on each update), `live` and `live-end` (src/channels/web/live-bubbles.ts); after
 * `message`, `progress` and `live-end` it refreshes the session line (GET …/session).
 * No template literals inside (String.raw).
 */
import { SCRIPT_LIVE } from './script-live.js';
import { SCRIPT_MARKDOWN } from './script-markdown.js';

const CORE = String.raw`
  var NAME_RE = /^[A-Za-z0-9._-]{1,128}$/;
  var $ = function (id) { return document.getElementById(id); };
  var listEl = $('messages'), input = $('message-input'), sendBtn = $('send-button');
  var convList = $('conversation-list'), errBox = $('composer-error'), statusEl = $('connection-status');
  var emptyEl = $('empty-state'), toastEl = $('toast'), sessionEl = $('session-info'), sessionTimer = null;
  var st = {
    conversation: null, source: null, known: new Set(['general']),
    items: new Map(), messages: new Map(), progress: new Map(), settled: new Set(), failures: new Map(),
    outcomes: new Map(), unanswered: new Set(), live: new Map(), liveEnded: new Set(), toastTimer: null
  };

  function newId() {
    if (window.crypto && crypto.randomUUID) return 'web-' + crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    return 'web-' + Array.prototype.map.call(b, function (x) { return x.toString(16).padStart(2, '0'); }).join('');
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function timeOf(iso) {
    var d = new Date(iso);
    return isNaN(d.getTime()) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }
`;

const MAIN = String.raw`
  function render(m) {
    var li = st.items.get(m.id);
    if (!li) {
      li = el('li');
      st.items.set(m.id, li);
      listEl.appendChild(li);
    }
    st.messages.set(m.id, m);
    li.className = 'msg ' + m.role;
    li.dataset.role = m.role;
    li.dataset.id = m.id;
    delete li.dataset.live;
    li.textContent = '';
    var who = m.role === 'user' ? (m.sender || 'you') : m.role === 'assistant' ? 'codex' : 'switchboard';
    var meta = el('div', 'meta');
    meta.appendChild(el('span', '', who + ' · ' + timeOf(m.createdAt)));
    li.appendChild(meta);
    if (m.role !== 'user' && typeof m.replyTo === 'string') {
      var line = replyLine(m.replyTo);
      if (line) li.appendChild(line);
    }
    var body = el('div', 'body');
    if (Array.isArray(m.markdown)) renderMarkdown(body, m.markdown);
    else renderText(body, m.text);
    li.appendChild(body);
    if (m.prompt) renderPrompt(li, body, m);
    applyProgress(m.id);
    applyFailure(m.id);
    applyOutcome(m.id);
    if (m.role !== 'user' && typeof m.replyTo === 'string' && m.outcome) setOutcome(m.replyTo, m.outcome);
    return li;
  }

  // Follows the newest message unless the reader scrolled up.
  function nearBottom() { return listEl.scrollHeight - listEl.scrollTop - listEl.clientHeight < 80; }
  function scrollDown() { listEl.scrollTop = listEl.scrollHeight; }

  function applyProgress(id) {
    var li = st.items.get(id);
    if (!li) return;
    var state = st.progress.get(id);
    var mark = li.querySelector('[data-progress]');
    if (state === 'queued' || state === 'running') {
      if (!mark) { mark = el('span', 'progress'); li.querySelector('.meta').appendChild(mark); }
      mark.dataset.progress = state;
      mark.textContent = state === 'queued' ? 'queued' : 'working…';
    } else if (mark) {
      mark.remove();
    }
  }

  function setProgress(id, state) {
    if (state === 'queued' || state === 'running') { st.settled.delete(id); st.progress.set(id, state); }
    else { st.progress.delete(id); st.settled.add(id); }
    if (state === 'failed') st.unanswered.add(id); else st.unanswered.delete(id);
    applyProgress(id);
    applyOutcome(id);
  }

  function applyFailure(id) {
    var li = st.items.get(id);
    if (!li) return;
    var old = li.querySelector('.failure');
    if (old) old.remove();
    var f = st.failures.get(id);
    if (!f) return;
    var box = el('div', 'failure', f.reason);
    if (f.retry) {
      var b = el('button', '', 'Retry');
      b.type = 'button';
      b.addEventListener('click', function () { st.failures.delete(id); applyFailure(id); post(f.conversation, id, f.text); });
      box.appendChild(b);
    }
    li.appendChild(box);
  }

  function forget(id) {
    var li = st.items.get(id);
    if (li) li.remove();
    st.items.delete(id); st.messages.delete(id); st.progress.delete(id); st.failures.delete(id);
  }

  function clearMessages() {
    listEl.textContent = '';
    st.items.clear(); st.messages.clear(); st.progress.clear(); st.settled.clear(); st.failures.clear();
    st.outcomes.clear(); st.unanswered.clear(); st.live.clear(); st.liveEnded.clear();
  }

  function setStatus(text) { statusEl.textContent = text; }

  function api(path, init) {
    return fetch(path, init).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) { return { status: res.status, body: body }; });
    });
  }

  function messagesPath(conv) { return '/api/conversations/' + encodeURIComponent(conv) + '/messages'; }

  // Merges server history with what is shown: history order first, then open live bubbles and newer local items.
  // A bubble shown before the request and not open in the answer ended while the stream was down
  // (its final message is in the history): it goes.
  function loadHistory(conv) {
    var shownBefore = new Set(st.live.keys());
    return api(messagesPath(conv)).then(function (r) {
      if (conv !== st.conversation || !r.body || !Array.isArray(r.body.messages)) return;
      var open = Array.isArray(r.body.live) ? r.body.live : [];
      var openIds = new Set(open.map(function (b) { return b.id; }));
      shownBefore.forEach(function (id) {
        var parts = st.live.get(id);
        if (!parts || openIds.has(id)) return;
        parts.li.remove();
        st.live.delete(id); st.items.delete(id); st.liveEnded.add(id);
      });
      var seen = new Set();
      r.body.messages.forEach(function (m) {
        seen.add(m.id);
        if (m.progress && !st.settled.has(m.id) && !st.progress.has(m.id)) st.progress.set(m.id, m.progress);
        listEl.appendChild(render(m));
      });
      open.forEach(renderLive);
      st.items.forEach(function (li, id) { if (!seen.has(id)) listEl.appendChild(li); });
      scrollDown();
    }).catch(function () { setStatus('offline'); });
  }

  // The header line under the title: the session this conversation's messages join (GET …/session).
  function loadSession(conv) {
    api('/api/conversations/' + encodeURIComponent(conv) + '/session').then(function (r) {
      if (conv !== st.conversation) return;
      var s = r.body && r.body.session;
      if (!s || !Array.isArray(s.summaryMarkdown)) { sessionEl.hidden = true; sessionEl.textContent = ''; return; }
      renderInline(sessionEl, s.summaryMarkdown);
      sessionEl.dataset.scope = s.scope;
      sessionEl.dataset.thread = s.threadId || '';
      sessionEl.hidden = false;
    }).catch(function () { /* the line stays as is */ });
  }

  // At most one refresh per 300 ms however many events arrive.
  function refreshSession() {
    if (sessionTimer) return;
    sessionTimer = setTimeout(function () { sessionTimer = null; if (st.conversation) loadSession(st.conversation); }, 300);
  }

  function onEvent(es, conv, name, fn) {
    es.addEventListener(name, function (e) {
      if (conv !== st.conversation) return;
      var data;
      try { data = JSON.parse(e.data); } catch (_) { return; /* ignore malformed */ }
      var follow = nearBottom();
      fn(data);
      if (follow) scrollDown();
    });
  }

  function connect() {
    if (st.source) st.source.close();
    var conv = st.conversation;
    var es = new EventSource('/api/events?conversation=' + encodeURIComponent(conv));
    st.source = es;
    es.addEventListener('open', function () { setStatus('live'); loadHistory(conv); loadSession(conv); });
    es.addEventListener('error', function () { setStatus('reconnecting…'); });
    onEvent(es, conv, 'message', render);
    onEvent(es, conv, 'prompt', render);
    onEvent(es, conv, 'progress', function (p) { setProgress(p.messageId, p.state); });
    onEvent(es, conv, 'live', renderLive);
    onEvent(es, conv, 'live-end', endLive);
    ['message', 'progress', 'live-end'].forEach(function (name) { es.addEventListener(name, refreshSession); });
  }

  function renderConversations() {
    convList.textContent = '';
    Array.from(st.known).sort().forEach(function (name) {
      var li = el('li'), b = el('button', '', name);
      b.type = 'button';
      b.dataset.conversation = name;
      b.title = name;
      if (name === st.conversation) b.setAttribute('aria-current', 'true');
      b.addEventListener('click', function () { select(name); document.body.classList.remove('nav-open'); });
      li.appendChild(b);
      convList.appendChild(li);
    });
  }

  function loadConversations() {
    return api('/api/conversations').then(function (r) {
      (r.body.conversations || []).forEach(function (n) { if (NAME_RE.test(n)) st.known.add(n); });
      renderConversations();
    }).catch(function () { /* the list stays as is */ });
  }

  function fromHash() {
    var m = /^#c=(.+)$/.exec(location.hash);
    if (!m) return null;
    try { var n = decodeURIComponent(m[1]); return NAME_RE.test(n) ? n : null; } catch (_) { return null; }
  }

  function select(name) {
    if (!NAME_RE.test(name) || name === st.conversation) return;
    st.conversation = name;
    st.known.add(name);
    if (fromHash() !== name) location.hash = 'c=' + encodeURIComponent(name);
    $('conversation-title').textContent = '# ' + name;
    document.title = name + ' · Switchboard';
    errBox.textContent = '';
    clearMessages();
    sessionEl.hidden = true;
    sessionEl.textContent = '';
    renderConversations();
    connect();
    input.focus();
  }

  function post(conv, id, text) {
    return api(messagesPath(conv), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: text, id: id })
    }).then(function (r) {
      if (r.status === 202) {
        if (!st.progress.has(id) && !st.settled.has(id)) setProgress(id, 'queued');
        st.known.add(conv);
        renderConversations();
      } else if (r.status === 200) {
        /* duplicate of an earlier attempt: nothing to do */
      } else if (r.status === 429 || r.status === 404 || r.status === 500) {
        // The server stored a note under the message; it arrives as a system message.
        errBox.textContent = r.body.message || r.body.error || ('error ' + r.status);
      } else {
        // Refused before storing (invalid text etc.): give the text back for editing.
        if (conv === st.conversation) forget(id);
        if (!input.value) input.value = text;
        errBox.textContent = r.body.message || r.body.error || ('error ' + r.status);
      }
    }, function () {
      st.failures.set(id, { reason: 'Not sent (network error).', retry: true, conversation: conv, text: text });
      applyFailure(id);
    });
  }

  function send() {
    var text = input.value;
    if (!text.trim() || !st.conversation) return;
    var id = newId();
    errBox.textContent = '';
    input.value = '';
    render({ id: id, role: 'user', text: text.trim(), createdAt: new Date().toISOString() });
    scrollDown();
    sendBtn.disabled = true;
    post(st.conversation, id, text).then(function () { sendBtn.disabled = false; input.focus(); });
  }

  // The empty-conversation hint shows while the list is empty.
  function updateEmpty() { emptyEl.hidden = listEl.childElementCount > 0; }
  new MutationObserver(updateEmpty).observe(listEl, { childList: true });
  updateEmpty();

  $('composer').addEventListener('submit', function (e) { e.preventDefault(); send(); });
  input.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); send(); }
  });
  $('new-conversation-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var box = $('new-conversation-input'), name = box.value.trim();
    if (!NAME_RE.test(name)) { errBox.textContent = 'Conversation names use 1–128 of A-Z a-z 0-9 . _ -'; return; }
    box.value = '';
    select(name);
    document.body.classList.remove('nav-open');
  });
  $('sidebar-toggle').addEventListener('click', function () {
    var open = document.body.classList.toggle('nav-open');
    $('sidebar-toggle').setAttribute('aria-expanded', open ? 'true' : 'false');
  });
  window.addEventListener('hashchange', function () { var n = fromHash(); if (n) select(n); });

  select(fromHash() || 'general');
  loadConversations();
`;

/** The whole page script. */
export const SCRIPT = `
(function () {
  'use strict';
${CORE}${SCRIPT_MARKDOWN}${SCRIPT_LIVE}${MAIN}})();
`;
