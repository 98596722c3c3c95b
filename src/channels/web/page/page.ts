/**
 * The web chat page: one HTML document with inline CSS (./style.ts) and plain DOM script
 * (./script.ts). Message text is only ever inserted with textContent / text nodes. Replies
 * carry `markdown`, an element tree parsed on the server (../format/markdown-tree.ts); the
 * page builds it with createElement, keeping only the allowed tags and http(s)/mailto links,
 * and never uses innerHTML. The inline blocks are allowed by a Content-Security-Policy built
 * from their hashes.
 */
import { createHash } from 'node:crypto';
import { SCRIPT } from './script.js';
import { STYLE } from './style.js';

const BODY = `<aside id="sidebar">
<h1>Switchboard</h1>
<button type="button" id="sidebar-toggle" data-testid="sidebar-toggle" aria-controls="conversation-list" aria-expanded="false">Conversations</button>
<ul id="conversation-list" data-testid="conversation-list"></ul>
<form id="new-conversation-form" autocomplete="off">
<input id="new-conversation-input" data-testid="new-conversation-input" placeholder="new conversation" maxlength="128" aria-label="New conversation name">
<button type="submit" id="new-conversation-button" data-testid="new-conversation-button" aria-label="Create conversation">+</button>
</form>
</aside>
<main>
<header><span id="conversation-title" data-testid="conversation-title"></span><span id="connection-status" data-testid="connection-status">connecting…</span></header>
<div id="session-info" data-testid="session-info" hidden></div>
<div id="empty-state" data-testid="empty-state"><strong>No messages here yet.</strong>Send a message below to start: the answer appears here while it is written, and a running answer has a Stop button. Trying the demo? Send <code>demo help</code>.</div>
<ol id="messages" data-testid="messages" aria-live="polite"></ol>
<form id="composer">
<textarea id="message-input" data-testid="message-input" rows="2" placeholder="Message — Enter to send, Shift+Enter for a new line" aria-label="Message"></textarea>
<button id="send-button" data-testid="send-button" type="submit">Send</button>
</form>
<div id="composer-error" data-testid="composer-error" role="alert"></div>
</main>
<div id="toast" data-testid="toast" role="status" hidden></div>`;

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
