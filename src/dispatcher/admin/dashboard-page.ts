/**
 * The /dashboard page: one self-contained document (inline CSS and JS, no external
 * assets) kept as a TS string so tsc ships it without a copy step. It polls /status and
 * /workers every second. Worker fields come from registrations (untrusted), so the
 * script only ever sets textContent, never innerHTML.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dhttp dispatcher</title>
<style>
  :root {
    --bg: #0f1419; --panel: #171e26; --line: #263140; --text: #d8e0ea; --dim: #8393a7;
    --ok: #3fb950; --bad: #f85149; --warn: #d29922; --accent: #58a6ff;
  }
  * { box-sizing: border-box; }
  body { margin: 0; background: var(--bg); color: var(--text);
    font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
  header { display: flex; align-items: center; gap: 12px; padding: 14px 24px;
    border-bottom: 1px solid var(--line); background: var(--panel); }
  header h1 { margin: 0; font-size: 18px; font-weight: 600; letter-spacing: .3px; }
  header .sub { color: var(--dim); font-size: 13px; }
  #conn { margin-left: auto; font-size: 12px; padding: 3px 10px; border-radius: 999px;
    background: rgba(63,185,80,.15); color: var(--ok); }
  #conn.lost { background: rgba(248,81,73,.15); color: var(--bad); }
  main { padding: 20px 24px; max-width: 1280px; margin: 0 auto; }
  .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr)); gap: 14px; }
  .card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
  .card h2 { margin: 0 0 6px; font-size: 12px; font-weight: 500; color: var(--dim);
    text-transform: uppercase; letter-spacing: .6px; }
  .big { font-size: 26px; font-weight: 600; font-variant-numeric: tabular-nums; }
  .big small { font-size: 13px; color: var(--dim); font-weight: 400; margin-left: 4px; }
  .row { display: flex; gap: 14px; color: var(--dim); font-size: 12.5px; font-variant-numeric: tabular-nums; }
  .row b { color: var(--text); font-weight: 500; }
  svg.spark { display: block; width: 100%; height: 38px; margin-top: 8px; }
  section { margin-top: 22px; }
  section > h2 { font-size: 15px; font-weight: 600; margin: 0 0 10px; }
  table { width: 100%; border-collapse: collapse; background: var(--panel);
    border: 1px solid var(--line); border-radius: 10px; overflow: hidden; }
  th, td { padding: 9px 12px; text-align: left; border-bottom: 1px solid var(--line);
    font-variant-numeric: tabular-nums; }
  th { font-size: 12px; font-weight: 500; color: var(--dim); text-transform: uppercase; letter-spacing: .5px;
    background: #131a22; }
  tr:last-child td { border-bottom: 0; }
  td.num, th.num { text-align: right; }
  td.addr { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12.5px; }
  .badge { display: inline-block; min-width: 64px; text-align: center; padding: 2px 10px; border-radius: 999px;
    font-size: 12px; font-weight: 600; }
  .badge.active { background: rgba(63,185,80,.15); color: var(--ok); }
  .badge.down { background: rgba(248,81,73,.15); color: var(--bad); }
  .badge.draining { background: rgba(210,153,34,.15); color: var(--warn); }
  .loadbar { display: inline-block; width: 60px; height: 6px; border-radius: 3px; background: var(--line);
    vertical-align: middle; margin-left: 8px; overflow: hidden; }
  .loadbar i { display: block; height: 100%; background: var(--accent); }
  .empty { color: var(--dim); padding: 14px; text-align: center; }
  .err { color: var(--bad); }
  .job { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 10px 14px; margin-bottom: 8px; }
  .job .top { display: flex; gap: 12px; font-size: 13px; }
  .job .top .meta { color: var(--dim); margin-left: auto; }
  .progress { height: 8px; background: var(--line); border-radius: 4px; margin-top: 8px; overflow: hidden; }
  .progress i { display: block; height: 100%; background: linear-gradient(90deg, #1f6feb, var(--accent)); transition: width .4s; }
  .progress.indeterminate i { width: 30% !important; animation: slide 1.2s infinite linear; }
  @keyframes slide { from { margin-left: -30%; } to { margin-left: 100%; } }
  footer { color: var(--dim); font-size: 12px; margin-top: 20px; }
</style>
</head>
<body>
<header>
  <h1>dhttp dispatcher</h1>
  <span class="sub" id="sub">connecting…</span>
  <span id="conn">live</span>
</header>
<main>
  <div class="cards">
    <div class="card"><h2>Workers</h2>
      <div class="big"><span id="w-active">–</span><small>/ <span id="w-total">–</span> active</small></div>
      <div class="row"><span>policy <b id="policy">–</b></span></div></div>
    <div class="card"><h2>Throughput</h2>
      <div class="big"><span id="rps">–</span><small>req/s</small></div>
      <div class="row"><span>total <b id="total">–</b></span><span>in flight <b id="inflight">–</b></span></div>
      <svg class="spark" id="spark-rps" viewBox="0 0 120 38" preserveAspectRatio="none"></svg></div>
    <div class="card"><h2>Latency (recent)</h2>
      <div class="big"><span id="p50">–</span><small>ms p50</small></div>
      <div class="row"><span>p90 <b id="p90">–</b></span><span>p99 <b id="p99">–</b></span></div>
      <svg class="spark" id="spark-lat" viewBox="0 0 120 38" preserveAspectRatio="none"></svg></div>
    <div class="card"><h2>Errors</h2>
      <div class="big"><span id="e5">–</span><small>5xx</small></div>
      <div class="row"><span>4xx <b id="e4">–</b></span><span>retries <b id="retries">–</b></span><span>holds <b id="holds">–</b></span></div>
      <div class="row" id="bystatus"></div></div>
  </div>

  <section>
    <h2>Workers</h2>
    <table>
      <thead><tr><th>ID</th><th>Address</th><th>State</th><th class="num">Load</th><th class="num">Completed</th>
        <th class="num">Failed</th><th class="num">Latency</th><th>Last check</th></tr></thead>
      <tbody id="workers"><tr><td colspan="8" class="empty">loading…</td></tr></tbody>
    </table>
  </section>

  <section>
    <h2>Jobs</h2>
    <div id="jobs"><div class="empty">no job running</div></div>
  </section>
  <footer id="footer"></footer>
</main>
<script>
"use strict";
const HISTORY = 60;
const rpsHistory = [];
const latHistory = [];
const $ = (id) => document.getElementById(id);

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = String(text);
  return e;
}
function fmt(n, digits) {
  if (n === null || n === undefined || Number.isNaN(n)) return "–";
  return Number(n).toLocaleString(undefined, { maximumFractionDigits: digits === undefined ? 0 : digits });
}
function ago(iso) {
  if (!iso) return "never";
  const s = (Date.now() - Date.parse(iso)) / 1000;
  return s < 1 ? "just now" : s < 60 ? Math.round(s) + " s ago" : Math.round(s / 60) + " min ago";
}
function spark(svg, values, color) {
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  if (values.length < 2) return;
  const max = Math.max(1e-9, ...values);
  // Spread what there is over the width until the history is full, then scroll.
  const slots = Math.max(values.length, 10);
  const step = 120 / (slots - 1);
  const off = slots - values.length;
  const pts = values.map((v, i) => ((off + i) * step).toFixed(1) + "," + (36 - (v / max) * 34).toFixed(1));
  const ns = "http://www.w3.org/2000/svg";
  const area = document.createElementNS(ns, "polygon");
  area.setAttribute("points", ((off) * step).toFixed(1) + ",38 " + pts.join(" ") + " 120,38");
  area.setAttribute("fill", color);
  area.setAttribute("fill-opacity", "0.15");
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("points", pts.join(" "));
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", color);
  line.setAttribute("stroke-width", "1.5");
  line.setAttribute("vector-effect", "non-scaling-stroke");
  svg.appendChild(area);
  svg.appendChild(line);
}
function push(arr, v) {
  arr.push(v === null || v === undefined ? 0 : v);
  if (arr.length > HISTORY) arr.shift();
}

function renderStatus(s) {
  $("sub").textContent = "up " + fmt(s.uptime_seconds) + " s · pid " + s.pid;
  $("w-active").textContent = s.workers.active;
  $("w-total").textContent = s.workers.total;
  $("policy").textContent = s.balance;
  $("rps").textContent = fmt(s.requests.per_second, 1);
  $("total").textContent = fmt(s.requests.total);
  $("inflight").textContent = fmt(s.requests.in_flight);
  $("p50").textContent = fmt(s.latency_ms.p50, 2);
  $("p90").textContent = fmt(s.latency_ms.p90, 2);
  $("p99").textContent = fmt(s.latency_ms.p99, 2);
  $("e5").textContent = fmt(s.errors["5xx"]);
  $("e5").className = s.errors["5xx"] > 0 ? "err" : "";
  $("e4").textContent = fmt(s.errors["4xx"]);
  $("retries").textContent = fmt(s.forwarding.retries);
  $("holds").textContent = fmt(s.forwarding.holds);
  const by = $("bystatus");
  by.replaceChildren(...Object.entries(s.errors.by_status).map(([code, n]) => {
    const span = el("span", "", code + " ");
    span.appendChild(el("b", "", fmt(n)));
    return span;
  }));
  push(rpsHistory, s.requests.per_second);
  push(latHistory, s.latency_ms.p99);
  spark($("spark-rps"), rpsHistory, "#58a6ff");
  spark($("spark-lat"), latHistory, "#d29922");
  renderJobs(s.jobs || []);
}

function renderWorkers(list) {
  const body = $("workers");
  if (list.length === 0) {
    const tr = el("tr");
    const td = el("td", "empty", "no worker known yet");
    td.colSpan = 8;
    tr.appendChild(td);
    body.replaceChildren(tr);
    return;
  }
  const maxLoad = Math.max(1, ...list.map((w) => w.Load));
  body.replaceChildren(...list.map((w) => {
    const tr = el("tr");
    tr.dataset.id = w.ID;
    tr.appendChild(el("td", "id", w.ID));
    tr.appendChild(el("td", "addr", w.Address));
    const state = w.Draining ? "draining" : w.Active ? "active" : "down";
    const td = el("td");
    const badge = el("span", "badge " + state, state);
    if (w.LastError && !w.Active) badge.title = w.LastError;
    td.appendChild(badge);
    tr.appendChild(td);
    const load = el("td", "num", fmt(w.Load));
    const bar = el("span", "loadbar");
    const fill = el("i");
    fill.style.width = Math.round((w.Load / maxLoad) * 100) + "%";
    bar.appendChild(fill);
    load.appendChild(bar);
    tr.appendChild(load);
    tr.appendChild(el("td", "num", fmt(w.Completed)));
    tr.appendChild(el("td", "num" + (w.Failed > 0 ? " err" : ""), fmt(w.Failed)));
    tr.appendChild(el("td", "num", w.LatencyMs ? fmt(w.LatencyMs, 2) + " ms" : "–"));
    tr.appendChild(el("td", "", ago(w.LastCheck)));
    return tr;
  }));
}

function renderJobs(jobs) {
  const box = $("jobs");
  if (jobs.length === 0) {
    box.replaceChildren(el("div", "empty", "no job running"));
    return;
  }
  box.replaceChildren(...jobs.map((j) => {
    const d = el("div", "job");
    const top = el("div", "top");
    top.appendChild(el("b", "", j.kind));
    top.appendChild(el("span", "", j.id));
    top.appendChild(el("span", "", j.state));
    const total = j.chunks_total;
    const meta = fmt(j.chunks_done) + (total === null ? "" : " / " + fmt(total)) + " chunks · " +
      fmt(j.workers_used) + " workers" + (j.bytes_in > 0 ? " · " + fmt(j.bytes_in / 1048576, 1) + " MiB in" : "");
    top.appendChild(el("span", "meta", meta));
    d.appendChild(top);
    const bar = el("div", "progress" + (total === null ? " indeterminate" : ""));
    const fill = el("i");
    fill.style.width = total ? Math.min(100, (j.chunks_done / total) * 100).toFixed(1) + "%" : "30%";
    bar.appendChild(fill);
    d.appendChild(bar);
    return d;
  }));
}

async function getJson(path) {
  const r = await fetch(path, { cache: "no-store" });
  if (!r.ok) throw new Error(path + " answered " + r.status);
  return r.json();
}

async function tick() {
  try {
    const [status, workers] = await Promise.all([getJson("status"), getJson("workers")]);
    renderStatus(status);
    renderWorkers(workers);
    $("conn").textContent = "live";
    $("conn").className = "";
    $("footer").textContent = "updated " + new Date().toLocaleTimeString();
  } catch (err) {
    $("conn").textContent = "disconnected";
    $("conn").className = "lost";
  } finally {
    setTimeout(tick, 1000);
  }
}
tick();
</script>
</body>
</html>
`;
