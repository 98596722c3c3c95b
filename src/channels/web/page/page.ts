/**
 * The web chat page: one HTML document with inline CSS and plain DOM script.
 * Message text is only ever inserted with textContent / text nodes. Replies
 * carry `markdown`, an element tree parsed on the server
 * (../format/markdown-tree.ts); the page builds it with createElement, keeping
 * only the allowed tags and http(s)/mailto links, and never uses innerHTML.
 * The inline blocks are allowed by a Content-Security-Policy built from their hashes.
 */
import { createHash } from 'node:crypto';

const STYLE = `
*{box-sizing:border-box}
html,body{height:100%;margin:0}
body{display:flex;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2433;background:#f4f5f7}
#sidebar{width:220px;flex:none;display:flex;flex-direction:column;gap:8px;padding:12px;background:#1f2533;color:#e8ebf2}
#sidebar h1{font-size:15px;margin:0 0 4px}
#conversation-list{list-style:none;margin:0;padding:0;overflow-y:auto;flex:1}
#conversation-list button{width:100%;text-align:left;padding:6px 8px;border:0;border-radius:6px;background:none;color:inherit;font:inherit;cursor:pointer;overflow:hidden;text-overflow:ellipsis}
#conversation-list button:hover{background:#2d3548}
#conversation-list button[aria-current="true"]{background:#3b4a6b;font-weight:600}
#new-conversation-form{display:flex;gap:4px}
#new-conversation-input{flex:1;min-width:0;padding:6px;border:1px solid #3b4a6b;border-radius:6px;background:#12161f;color:inherit;font:inherit}
#new-conversation-form button{padding:0 10px;border:0;border-radius:6px;background:#3b4a6b;color:inherit;cursor:pointer}
main{flex:1;display:flex;flex-direction:column;min-width:0}
header{display:flex;justify-content:space-between;align-items:center;padding:10px 16px;background:#fff;border-bottom:1px solid #dde1e8;font-weight:600}
#connection-status{font-weight:400;font-size:12px;color:#6b7385}
#messages{flex:1;overflow-y:auto;list-style:none;margin:0;padding:16px;display:flex;flex-direction:column;gap:10px}
.msg{max-width:min(760px,92%);padding:8px 12px;border-radius:10px;background:#fff;border:1px solid #dde1e8}
.msg.user{align-self:flex-end;background:#dcebff;border-color:#bcd6fb}
.msg.system{align-self:center;background:#fff6e0;border-color:#f0d9a0;font-size:13px}
.meta{font-size:11px;color:#6b7385;margin-bottom:2px;display:flex;gap:8px;align-items:center}
.text{white-space:pre-wrap;overflow-wrap:anywhere}
.body pre{margin:6px 0;padding:8px;background:#1f2533;color:#e8ebf2;border-radius:6px;overflow-x:auto}
.body code{font:12.5px ui-monospace,SFMono-Regular,Menlo,monospace}
.text code{background:#eef0f4;padding:0 3px;border-radius:3px}
.md{overflow-wrap:anywhere}
.md>:first-child{margin-top:0}.md>:last-child{margin-bottom:0}
.md p,.md ul,.md ol,.md blockquote,.md table{margin:6px 0}
.md h1,.md h2,.md h3,.md h4,.md h5,.md h6{margin:10px 0 4px;line-height:1.25}
.md h1{font-size:19px}.md h2{font-size:17px}.md h3{font-size:15px}.md h4,.md h5,.md h6{font-size:14px}
.md ul,.md ol{padding-left:22px}
.md ul{list-style:disc}.md ul ul{list-style:circle}.md ol{list-style:decimal}
.md li.task{list-style:none;margin-left:-18px}
.md blockquote{padding-left:10px;border-left:3px solid #c7cdd8;color:#4a5263}
.md hr{border:0;border-top:1px solid #dde1e8}
.md table{border-collapse:collapse;display:block;overflow-x:auto;max-width:100%}
.md th,.md td{border:1px solid #dde1e8;padding:3px 8px;text-align:left}
.md th{background:#f4f5f7}
.md .align-center{text-align:center}.md .align-right{text-align:right}
.md :not(pre)>code{background:#eef0f4;padding:0 3px;border-radius:3px}
.md a{color:#2f6fde}
.progress{padding:0 6px;border-radius:8px;background:#fff;color:#41506e;border:1px solid #bcd6fb}
.progress[data-progress="running"]::before{content:"";display:inline-block;width:6px;height:6px;margin-right:4px;border-radius:50%;background:#3b82f6;animation:pulse 1s infinite alternate}
@keyframes pulse{from{opacity:.25}to{opacity:1}}
.failure{margin-top:4px;font-size:12px;color:#a12c2c}
.failure button{margin-left:6px;font-size:12px}
#composer{display:flex;gap:8px;padding:12px 16px;background:#fff;border-top:1px solid #dde1e8}
#message-input{flex:1;resize:vertical;min-height:44px;max-height:40vh;padding:8px;border:1px solid #c7cdd8;border-radius:8px;font:inherit}
#send-button{padding:0 18px;border:0;border-radius:8px;background:#2f6fde;color:#fff;font:inherit;font-weight:600;cursor:pointer}
#send-button:disabled{opacity:.5;cursor:default}
#composer-error{padding:0 16px 8px;background:#fff;color:#a12c2c;font-size:12px;min-height:0}
#composer-error:empty{display:none}
`;

// Browser script. No template literals inside (this is a String.raw literal); "\x60" is a backtick.
const SCRIPT = String.raw`
(function () {
  'use strict';
  var NAME_RE = /^[A-Za-z0-9._-]{1,128}$/;
  var $ = function (id) { return document.getElementById(id); };
  var listEl = $('messages'), input = $('message-input'), sendBtn = $('send-button');
  var convList = $('conversation-list'), errBox = $('composer-error'), statusEl = $('connection-status');
  var st = {
    conversation: null, source: null, known: new Set(['general']),
    items: new Map(), messages: new Map(), progress: new Map(), settled: new Set(), failures: new Map()
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

  // Minimal Markdown: fenced code blocks and inline code; everything else is plain text.
  function renderText(target, text) {
    target.textContent = '';
    var buf = [], inCode = false;
    function flush() {
      if (!buf.length) return;
      var body = buf.join('\n');
      buf = [];
      if (inCode) {
        var pre = el('pre'), code = el('code', '', body);
        pre.appendChild(code);
        target.appendChild(pre);
        return;
      }
      var p = el('div', 'text');
      body.split(/\x60([^\x60\n]+)\x60/).forEach(function (s, i) {
        if (i % 2) p.appendChild(el('code', '', s));
        else if (s) p.appendChild(document.createTextNode(s));
      });
      target.appendChild(p);
    }
    text.split('\n').forEach(function (line) {
      if (/^\s*\x60\x60\x60/.test(line)) { flush(); inCode = !inCode; return; }
      buf.push(line);
    });
    flush();
  }

  // Replies: the server's Markdown tree (strings and {tag, children, href?, start?, align?, checked?}).
  var MD_TAGS = new Set(['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'blockquote', 'ul', 'ol', 'li', 'pre', 'code',
    'em', 'strong', 'del', 'br', 'a', 'table', 'thead', 'tbody', 'tr', 'th', 'td']);
  var SAFE_URL = /^(https?:|mailto:)/i;
  function buildTree(parent, nodes) {
    nodes.forEach(function (n) {
      if (typeof n === 'string') { parent.appendChild(document.createTextNode(n)); return; }
      if (!n || !MD_TAGS.has(n.tag) || !Array.isArray(n.children)) return;
      var e = document.createElement(n.tag);
      if (n.tag === 'a') {
        if (typeof n.href === 'string' && SAFE_URL.test(n.href)) { e.href = n.href; e.target = '_blank'; e.rel = 'noopener noreferrer'; }
        else e = document.createElement('span');
      }
      if (n.tag === 'ol' && typeof n.start === 'number') e.start = n.start;
      if ((n.tag === 'th' || n.tag === 'td') && (n.align === 'center' || n.align === 'right')) e.className = 'align-' + n.align;
      if (n.tag === 'li' && typeof n.checked === 'boolean') { e.className = 'task'; e.appendChild(document.createTextNode(n.checked ? '☑ ' : '☐ ')); }
      if (n.tag === 'pre' && typeof n.lang === 'string') e.dataset.lang = n.lang;
      buildTree(e, n.children);
      parent.appendChild(e);
    });
  }
  function renderMarkdown(target, tree) {
    target.textContent = '';
    var box = el('div', 'md');
    buildTree(box, tree);
    target.appendChild(box);
  }

  function timeOf(iso) {
    var d = new Date(iso);
    return isNaN(d.getTime()) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }

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
    li.textContent = '';
    var who = m.role === 'user' ? (m.sender || 'you') : m.role === 'assistant' ? 'codex' : 'switchboard';
    var meta = el('div', 'meta');
    meta.appendChild(el('span', '', who + ' · ' + timeOf(m.createdAt)));
    var body = el('div', 'body');
    if (Array.isArray(m.markdown)) renderMarkdown(body, m.markdown);
    else renderText(body, m.text);
    li.appendChild(meta);
    li.appendChild(body);
    applyProgress(m.id);
    applyFailure(m.id);
    return li;
  }

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
    applyProgress(id);
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
  }

  function setStatus(text) { statusEl.textContent = text; }

  function api(path, init) {
    return fetch(path, init).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) { return { status: res.status, body: body }; });
    });
  }

  function messagesPath(conv) { return '/api/conversations/' + encodeURIComponent(conv) + '/messages'; }

  // Merges server history with what is shown: history order first, then newer local items.
  function loadHistory(conv) {
    return api(messagesPath(conv)).then(function (r) {
      if (conv !== st.conversation || !r.body || !Array.isArray(r.body.messages)) return;
      var seen = new Set();
      r.body.messages.forEach(function (m) {
        seen.add(m.id);
        if (m.progress && !st.settled.has(m.id) && !st.progress.has(m.id)) st.progress.set(m.id, m.progress);
        listEl.appendChild(render(m));
      });
      st.items.forEach(function (li, id) { if (!seen.has(id)) listEl.appendChild(li); });
      scrollDown();
    }).catch(function () { setStatus('offline'); });
  }

  function connect() {
    if (st.source) st.source.close();
    var conv = st.conversation;
    var es = new EventSource('/api/events?conversation=' + encodeURIComponent(conv));
    st.source = es;
    es.addEventListener('open', function () { setStatus('live'); loadHistory(conv); });
    es.addEventListener('error', function () { setStatus('reconnecting…'); });
    es.addEventListener('message', function (e) {
      if (conv !== st.conversation) return;
      try { render(JSON.parse(e.data)); scrollDown(); } catch (_) { /* ignore malformed */ }
    });
    es.addEventListener('progress', function (e) {
      if (conv !== st.conversation) return;
      try { var p = JSON.parse(e.data); setProgress(p.messageId, p.state); } catch (_) { /* ignore */ }
    });
  }

  function renderConversations() {
    convList.textContent = '';
    Array.from(st.known).sort().forEach(function (name) {
      var li = el('li'), b = el('button', '', name);
      b.type = 'button';
      b.dataset.conversation = name;
      b.title = name;
      if (name === st.conversation) b.setAttribute('aria-current', 'true');
      b.addEventListener('click', function () { select(name); });
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
  });
  window.addEventListener('hashchange', function () { var n = fromHash(); if (n) select(n); });

  select(fromHash() || 'general');
  loadConversations();
})();
`;

const BODY = `<aside id="sidebar">
<h1>Switchboard</h1>
<ul id="conversation-list" data-testid="conversation-list"></ul>
<form id="new-conversation-form" autocomplete="off">
<input id="new-conversation-input" data-testid="new-conversation-input" placeholder="new conversation" maxlength="128" aria-label="New conversation name">
<button type="submit" id="new-conversation-button" data-testid="new-conversation-button" aria-label="Create conversation">+</button>
</form>
</aside>
<main>
<header><span id="conversation-title" data-testid="conversation-title"></span><span id="connection-status" data-testid="connection-status">connecting…</span></header>
<ol id="messages" data-testid="messages" aria-live="polite"></ol>
<form id="composer">
<textarea id="message-input" data-testid="message-input" rows="2" placeholder="Message — Enter to send, Shift+Enter for a new line" aria-label="Message"></textarea>
<button id="send-button" data-testid="send-button" type="submit">Send</button>
</form>
<div id="composer-error" data-testid="composer-error" role="alert"></div>
</main>`;

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** The complete page. */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchboard</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
${BODY}
<script>${SCRIPT}</script>
</body>
</html>
`;

/** The inline script, exported so tests can check that it parses. */
export const PAGE_SCRIPT = SCRIPT;

/** Response headers of the page, including a hash-based CSP. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': [
    "default-src 'none'",
    `script-src ${sha256(SCRIPT)}`,
    `style-src ${sha256(STYLE)}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
};
