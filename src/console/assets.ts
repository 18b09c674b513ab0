/**
 * The console's one stylesheet and one small script, served from `/ui/assets/*` (no build step,
 * no CDN: the binary and edge deployments have no filesystem). The script only adds what pays:
 * a confirmation dialog on action forms (without it the server asks on a page instead) and a
 * bounded live refresh (every 5 s, paused while the tab is hidden, stopped after 10 minutes or
 * when the page says it is final).
 *
 * Colours: every text/background pair is at least 4.5:1 (WCAG AA); states carry a word or a
 * glyph as well as a colour.
 */
export const css = `
:root{--fg:#1a1c1f;--muted:#4a4f57;--line:#c4c9d0;--bg:#fff;--soft:#f5f6f8;--link:#0b57d0;--bad:#b3261e;--ok:#1e6b3a;--now:#0b57d0}
*{box-sizing:border-box}
html{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
body{margin:0}
a{color:var(--link)}
:focus-visible{outline:3px solid var(--now);outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5em}
.skip:focus{left:.5em}
header.top{background:#1f2933;color:#fff}
header.top .wrap{display:flex;flex-wrap:wrap;align-items:center;gap:1.2em;padding:.6em 1em}
header.top a{color:#fff;text-decoration:none;padding:.2em .1em;border-bottom:3px solid transparent}
header.top a[aria-current=page]{border-bottom-color:#8ab4f8}
header.top .brand{font-weight:700;font-size:1.1em;margin-right:.5em}
header.top .who{margin-left:auto;font-size:.9em;display:flex;gap:.8em;align-items:center}
header.top button{background:transparent;color:#fff;border:1px solid #9aa5b1;border-radius:4px;padding:.2em .6em;font:inherit;cursor:pointer}
.wrap{max-width:1200px;margin:0 auto}
main{padding:1em}
h1{font-size:1.5em;margin:.3em 0 .6em;overflow-wrap:anywhere}
h2{font-size:1.15em;margin:1.4em 0 .5em}
table{border-collapse:collapse;width:100%;margin:.4em 0 1em}
th,td{text-align:left;padding:.35em .5em;border-bottom:1px solid var(--line);vertical-align:top;overflow-wrap:anywhere}
th{background:var(--soft);font-weight:600}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
pre{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:.7em;white-space:pre-wrap;overflow-wrap:anywhere;max-height:28em;overflow:auto}
.muted,.note{color:var(--muted)}
.status{display:inline-block;padding:.05em .5em;border-radius:1em;font-size:.85em;font-weight:600;white-space:nowrap}
.s-completed{background:#e3f4e8;color:#0f5d2a}.s-faulted{background:#fde8e8;color:#8a1c1c}.s-cancelled{background:#eceef1;color:#3d434b}
.s-running,.s-queued,.s-delayed{background:#e3eefc;color:#0b4a8f}.s-waiting{background:#fff3d6;color:#6b4700}.s-suspended{background:#f1e6fb;color:#5b2a86}.s-pending{background:#eceef1;color:#30353b}
form.filters{display:flex;flex-wrap:wrap;gap:.8em;align-items:flex-end;background:var(--soft);padding:.7em;border-radius:6px;border:1px solid var(--line)}
form.filters label{display:flex;flex-direction:column;font-size:.9em;gap:.2em}
input,select,button{font:inherit}
input,select{padding:.3em .4em;border:1px solid #6b7280;border-radius:4px;background:#fff;color:var(--fg)}
button.btn,a.btn{display:inline-block;padding:.35em .9em;border-radius:4px;border:1px solid #30353b;background:#fff;color:var(--fg);cursor:pointer;text-decoration:none}
button.primary{background:#0b57d0;border-color:#0b57d0;color:#fff}
button.danger{background:#b3261e;border-color:#b3261e;color:#fff}
.actions{display:flex;flex-wrap:wrap;gap:.6em;margin:.6em 0}
.actions form{margin:0}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3em 1em;margin:.5em 0 1em}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;overflow-wrap:anywhere}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:1em}
.problem{border:2px solid var(--bad);background:#fdf2f2;border-radius:6px;padding:.6em .8em}
.problem h2{margin-top:0;color:#8a1c1c}
.pager{display:flex;gap:1em;margin:.6em 0}
.live{font-size:.85em;color:var(--muted);display:flex;gap:.4em;align-items:center}
.login{max-width:28em;margin:3em auto;border:1px solid var(--line);border-radius:8px;padding:1.2em 1.5em}
.login label{display:block;margin:.6em 0 .3em;font-weight:600}
.login input{width:100%}
.error-msg{color:#8a1c1c;font-weight:600}
.figure{border:1px solid var(--line);border-radius:6px;padding:.5em;background:#fff;overflow:hidden}
svg.diagram,svg.timeline{max-width:100%;height:auto;display:block}
svg.timeline{width:100%}
svg.diagram{margin:0 auto}
caption{text-align:left;padding:.2em 0}
svg .node rect{fill:#fff;stroke:#5f6b7a;stroke-width:1.2}
svg .node .label{font-weight:600;fill:#1a1c1f}
svg .node .detail{fill:#4a4f57;font-size:11px}
svg .node.kind-start rect,svg .node.kind-end rect,svg .node.kind-join rect{fill:#eceef1}
svg .node.kind-switch rect{fill:#fffaf0}
svg .node.kind-raise rect,svg .node.kind-catch rect{fill:#fff5f5}
svg .node.state-done rect{fill:#eef7f1;stroke:#1e6b3a}
svg .node.state-current rect{fill:#e3eefc;stroke:#0b57d0;stroke-width:3}
svg .node.state-failed rect{fill:#fde8e8;stroke:#b3261e;stroke-width:3.5}
svg .node .badge{font-size:10px;font-weight:700;fill:#8a1c1c}
svg .node.state-current .badge{fill:#0b4a8f}
svg .cluster rect{fill:#f7f8fa;stroke:#9aa5b1;stroke-dasharray:4 3}
svg .cluster text{fill:#4a4f57;font-size:11px}
svg .edge path{fill:none;stroke:#5f6b7a;stroke-width:1.3}
svg .edge-error path{stroke:#b3261e;stroke-dasharray:5 3}
svg .edge-loop path,svg .edge-jump path{stroke:#6b4700;stroke-dasharray:4 3}
svg .edge-label rect{fill:#fff;stroke:none}
svg .edge-label text{fill:#30353b;font-size:11px}
svg marker path{fill:#5f6b7a}
svg .tick line{stroke:#dfe3e8}
svg .tick text{fill:#4a4f57;font-size:11px}
svg .bar rect{fill:#5f6b7a}
svg .bar .bar-label{fill:#1a1c1f}
svg .bar.outcome-completed rect{fill:#2e7d4a}
svg .bar.outcome-faulted rect{fill:#b3261e}
svg .bar.outcome-running rect{fill:#0b57d0}
svg .bar.outcome-cancelled rect,svg .bar.outcome-unfinished rect{fill:#9aa5b1}
svg .bar.kind-wait rect,svg .bar.kind-listen rect{fill-opacity:.55}
svg .bar rect.retry-wait{fill:#e8a33d}
svg .retry-mark{fill:#6b4700}
svg .suspended-band{fill:#f1e6fb}
`;

export const js = `
"use strict";
document.addEventListener("submit", function (e) {
  var form = e.target, q = form.getAttribute("data-confirm");
  if (!q) return;
  if (!window.confirm(q)) { e.preventDefault(); return; }
  var c = form.querySelector("input[name=confirmed]");
  if (c) c.value = "1";
});
(function () {
  var live = document.querySelector("[data-live]");
  if (!live || live.getAttribute("data-live") === "final") return;
  var toggle = document.getElementById("live-toggle"), note = document.getElementById("live-note");
  var until = Date.now() + 10 * 60 * 1000;
  function say(t) { if (note) note.textContent = t; }
  function tick() {
    if (Date.now() > until) { if (toggle) toggle.checked = false; say("Live updates stopped after 10 minutes; reload to resume."); return; }
    if (document.hidden || (toggle && !toggle.checked) || live.contains(document.activeElement)) return void setTimeout(tick, 5000);
    fetch(location.href, { headers: { "X-Weir-Live": "1" }, credentials: "same-origin", redirect: "manual" }).then(function (res) {
      if (!res.ok || res.type === "opaqueredirect") { say("Live updates stopped (signed out?)."); return; }
      return res.text().then(function (text) {
        var fresh = new DOMParser().parseFromString(text, "text/html").querySelector("[data-live]");
        if (!fresh) return;
        live.innerHTML = fresh.innerHTML;
        say("Updated " + new Date().toLocaleTimeString());
        if (fresh.getAttribute("data-live") === "final") { say("Final state."); return; }
        setTimeout(tick, 5000);
      });
    }).catch(function () { setTimeout(tick, 15000); });
  }
  setTimeout(tick, 5000);
})();
`;
