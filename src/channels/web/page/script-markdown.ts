/**
 * Page script, part: building message bodies. Replies carry the server's Markdown tree
 * (../format/markdown-tree.ts: strings and {tag, children, href?, start?, align?, checked?, lang?});
 * it becomes DOM with createElement and text nodes only, keeping only the allowed tags and
 * http(s)/mailto links. A code block gets a head with its language (`data-lang`) and a copy button
 * (the Clipboard API, or a selected off-screen textarea and `execCommand('copy')` where it is
 * missing). User messages keep the minimal rendering: fenced code and inline code, else text.
 *
 * A fragment of the one page script (./script.ts): it shares that function's scope (`el`, `st`).
 * No template literals inside (String.raw); "\x60" is a backtick.
 */
export const SCRIPT_MARKDOWN = String.raw`
  // Minimal Markdown for user messages: fenced code blocks and inline code; everything else is plain text.
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

  function fallbackCopy(text) {
    var ta = el('textarea', 'offscreen');
    ta.value = text;
    ta.setAttribute('readonly', '');
    document.body.appendChild(ta);
    ta.select();
    var ok = false;
    try { ok = document.execCommand('copy'); } catch (_) { ok = false; }
    ta.remove();
    if (!ok) throw new Error('copy refused');
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { fallbackCopy(text); });
    }
    return new Promise(function (resolve) { fallbackCopy(text); resolve(); });
  }

  function codeBlock(pre) {
    var box = el('div', 'code-block'), head = el('div', 'code-head');
    if (pre.dataset.lang) head.appendChild(el('span', 'code-lang', pre.dataset.lang));
    var copy = el('button', 'copy', 'Copy');
    copy.type = 'button';
    copy.title = 'Copy the code';
    copy.addEventListener('click', function () {
      copyText(pre.textContent).then(function () { copy.textContent = 'Copied'; }, function () { copy.textContent = 'Copy failed'; })
        .then(function () { setTimeout(function () { copy.textContent = 'Copy'; }, 1500); });
    });
    head.appendChild(copy);
    box.appendChild(head);
    box.appendChild(pre);
    return box;
  }

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
      parent.appendChild(n.tag === 'pre' ? codeBlock(e) : e);
    });
  }
  function renderMarkdown(target, tree) {
    target.textContent = '';
    var box = el('div', 'md');
    buildTree(box, tree);
    target.appendChild(box);
  }
  // One line of Markdown (the live activity): a lone paragraph's content, inline.
  function renderInline(target, tree) {
    target.textContent = '';
    var nodes = Array.isArray(tree) && tree.length === 1 && tree[0] && tree[0].tag === 'p' ? tree[0].children : tree;
    if (Array.isArray(nodes)) buildTree(target, nodes);
  }
`;
