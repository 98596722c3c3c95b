/**
 * The web chat page's stylesheet (inline; allowed by its hash in the page's CSP, ./page.ts).
 * Narrow screens (≤ 640 px, e.g. a 390 px phone): the sidebar becomes a top bar whose
 * conversation list opens with a toggle; code blocks and tables scroll inside their message.
 */
export const STYLE = String.raw`
*{box-sizing:border-box}
html,body{height:100%;margin:0}
body{display:flex;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2433;background:#f4f5f7}
#sidebar{width:220px;flex:none;display:flex;flex-direction:column;gap:8px;padding:12px;background:#1f2533;color:#e8ebf2}
#sidebar h1{font-size:15px;margin:0 0 4px}
#sidebar-toggle{display:none;padding:4px 10px;border:0;border-radius:6px;background:#3b4a6b;color:inherit;font:inherit;cursor:pointer}
#conversation-list{list-style:none;margin:0;padding:0;overflow-y:auto;flex:1}
#conversation-list button{width:100%;text-align:left;padding:6px 8px;border:0;border-radius:6px;background:none;color:inherit;font:inherit;cursor:pointer;overflow:hidden;text-overflow:ellipsis}
#conversation-list button:hover{background:#2d3548}
#conversation-list button[aria-current="true"]{background:#3b4a6b;font-weight:600}
#new-conversation-form{display:flex;gap:4px}
#new-conversation-input{flex:1;min-width:0;padding:6px;border:1px solid #3b4a6b;border-radius:6px;background:#12161f;color:inherit;font:inherit}
#new-conversation-form button{padding:0 10px;border:0;border-radius:6px;background:#3b4a6b;color:inherit;cursor:pointer}
main{flex:1;display:flex;flex-direction:column;min-width:0;min-height:0}
header{display:flex;justify-content:space-between;align-items:center;gap:8px;padding:10px 16px;background:#fff;border-bottom:1px solid #dde1e8;font-weight:600}
#conversation-title{min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
#connection-status{font-weight:400;font-size:12px;color:#6b7385;flex:none}
#session-info{padding:4px 16px;background:#f7f8fa;border-bottom:1px solid #dde1e8;font-size:12px;color:#41506e;overflow-wrap:anywhere}
#session-info code{background:#eef0f4;padding:0 3px;border-radius:3px;font:11.5px ui-monospace,SFMono-Regular,Menlo,monospace}
#empty-state{margin:auto;padding:24px 16px;max-width:420px;text-align:center;color:#6b7385}
#empty-state[hidden]{display:none}
#empty-state strong{display:block;color:#1d2433;font-size:15px;margin-bottom:4px}
#empty-state code{background:#eef0f4;padding:0 3px;border-radius:3px}
#messages{flex:1;overflow-y:auto;overflow-x:hidden;list-style:none;margin:0;padding:16px;display:flex;flex-direction:column;gap:10px}
#messages:empty{flex:0 0 auto;padding:0}
.msg{max-width:min(760px,92%);min-width:0;padding:8px 12px;border-radius:10px;background:#fff;border:1px solid #dde1e8}
.msg.user{align-self:flex-end;background:#dcebff;border-color:#bcd6fb}
.msg.system{align-self:center;background:#fff6e0;border-color:#f0d9a0;font-size:13px}
.msg.flash{outline:2px solid #2f6fde;outline-offset:2px}
.meta{font-size:11px;color:#6b7385;margin-bottom:2px;display:flex;flex-wrap:wrap;gap:8px;align-items:center}
.reply-to{display:block;max-width:100%;margin:0 0 4px;padding:0;border:0;background:none;color:#6b7385;font:inherit;font-size:12px;text-align:left;cursor:pointer;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.reply-to:hover{color:#2f6fde;text-decoration:underline}
.text{white-space:pre-wrap;overflow-wrap:anywhere}
.body{min-width:0}
.body pre{margin:0;padding:8px;background:#1f2533;color:#e8ebf2;border-radius:0 0 6px 6px;overflow-x:auto;white-space:pre;max-width:100%}
.body>pre,.text+pre{border-radius:6px;margin:6px 0}
.body code{font:12.5px ui-monospace,SFMono-Regular,Menlo,monospace}
.text code{background:#eef0f4;padding:0 3px;border-radius:3px}
.code-block{margin:6px 0;max-width:100%;min-width:0}
.code-head{display:flex;justify-content:space-between;align-items:center;gap:8px;padding:2px 6px 2px 8px;background:#2d3548;color:#c3cad8;border-radius:6px 6px 0 0;font-size:11px}
.code-lang{font:11px ui-monospace,SFMono-Regular,Menlo,monospace}
.copy{margin-left:auto;padding:1px 8px;border:1px solid #4a5878;border-radius:4px;background:none;color:inherit;font:inherit;cursor:pointer}
.copy:hover{background:#3b4a6b}
.md{overflow-wrap:anywhere;min-width:0}
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
.progress[data-progress="running"]::before,.live-status::before{content:"";display:inline-block;width:6px;height:6px;margin-right:4px;border-radius:50%;background:#3b82f6;animation:pulse 1s infinite alternate}
@keyframes pulse{from{opacity:.25}to{opacity:1}}
.outcome{padding:0 6px;border-radius:8px;background:#fff;border:1px solid #e3b4b4;color:#a12c2c}
.outcome[data-outcome="interrupted"],.outcome[data-outcome="abandoned"]{border-color:#c7cdd8;color:#4a5263}
.live-waiting{color:#6b7385}
.live-status{margin-top:6px;font-size:12px;color:#41506e;overflow-wrap:anywhere}
.live-status code{background:#eef0f4;padding:0 3px;border-radius:3px;font:11.5px ui-monospace,SFMono-Regular,Menlo,monospace}
.msg[data-live="ended"] .live-status::before{display:none}
.plan{list-style:none;margin:4px 0 0;padding:0;font-size:12px;color:#41506e}
.plan li{display:flex;gap:6px;overflow-wrap:anywhere}
.plan li[data-state="completed"]{color:#6b7385}
.plan li[data-state="inProgress"]{font-weight:600;color:#1d2433}
.plan-mark{flex:none;width:1em;text-align:center}
.live-actions{margin-top:6px}
.stop{padding:2px 12px;border:1px solid #c7cdd8;border-radius:6px;background:#fff;color:#a12c2c;font:inherit;font-size:12px;font-weight:600;cursor:pointer}
.stop:disabled{opacity:.6;cursor:default}
.prompt-title{font-weight:600;margin-bottom:4px}
.prompt-actions{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px}
.prompt-button{padding:3px 12px;border:1px solid #c7cdd8;border-radius:6px;background:#fff;color:#1d2433;font:inherit;font-size:12px;font-weight:600;cursor:pointer}
.prompt-button.primary{background:#2f6fde;border-color:#2f6fde;color:#fff}
.prompt-button.danger{color:#a12c2c;border-color:#e3b4b4}
.prompt-button:disabled{opacity:.6;cursor:default}
.prompt-status{margin-top:6px;font-size:12px;color:#41506e;overflow-wrap:anywhere}
.failure{margin-top:4px;font-size:12px;color:#a12c2c}
.failure button{margin-left:6px;font-size:12px}
#composer{display:flex;gap:8px;padding:12px 16px;background:#fff;border-top:1px solid #dde1e8}
#message-input{flex:1;min-width:0;resize:vertical;min-height:44px;max-height:40vh;padding:8px;border:1px solid #c7cdd8;border-radius:8px;font:inherit}
#send-button{padding:0 18px;border:0;border-radius:8px;background:#2f6fde;color:#fff;font:inherit;font-weight:600;cursor:pointer}
#send-button:disabled{opacity:.5;cursor:default}
#composer-error{padding:0 16px 8px;background:#fff;color:#a12c2c;font-size:12px;min-height:0}
#composer-error:empty{display:none}
#toast{position:fixed;left:0;right:0;bottom:84px;margin:0 auto;width:max-content;max-width:calc(100% - 24px);padding:8px 14px;border-radius:8px;background:#1f2533;color:#fff;font-size:13px;box-shadow:0 2px 8px rgba(0,0,0,.25);overflow-wrap:anywhere}
#toast[hidden]{display:none}
.offscreen{position:fixed;top:0;left:-10000px;width:1px;height:1px;opacity:0}
@media (max-width:640px){
body{flex-direction:column}
#sidebar{width:auto;flex-direction:row;flex-wrap:wrap;align-items:center;gap:6px;padding:8px 12px}
#sidebar h1{flex:1;margin:0}
#sidebar-toggle{display:inline-block}
#conversation-list,#new-conversation-form{display:none;flex-basis:100%}
body.nav-open #conversation-list{display:block;max-height:35vh}
body.nav-open #new-conversation-form{display:flex}
header{padding:8px 12px}
#messages{padding:10px}
.msg{max-width:94%}
#composer{padding:8px 10px}
#send-button{padding:0 12px}
}
`;
