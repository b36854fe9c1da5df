/**
 * The dashboard's script (dashboard-page.ts inlines it). It asks `/status?since=0` once for
 * the server's whole per-second history, then every second for what is newer, and
 * `/workers` for the table: a reload loses nothing. Charts (dashboard-chart.ts) are SVG,
 * with time and value axes, over a chosen window. Worker fields come from registrations
 * (untrusted), so the script only ever sets textContent, never innerHTML. (Kept free of
 * backticks, `${` and backslashes, being inside a plain template literal.)
 */
export const DASHBOARD_JS = `
const NS = "http://www.w3.org/2000/svg";
const CLUSTER = ["rps", "errors_4xx", "errors_5xx", "p50_ms", "p99_ms", "in_flight"];
const WFIELDS = ["rate", "errors", "load", "cpu", "rss_mb", "active"];
const PALETTE = ["#58a6ff", "#3fb950", "#d29922", "#f778ba", "#a371f7", "#39c5cf", "#ff7b72", "#e3b341", "#7ee787", "#79c0ff"];
const METRICS = {
  rate: { label: "req/s", fmt: (v) => fmt(v, 1) },
  errors: { label: "errors/s", fmt: (v) => fmt(v, 1) },
  load: { label: "in flight", fmt: (v) => fmt(v) },
  cpu: { label: "CPU %", fmt: (v) => fmt(v, 0), scale: 100 },
  rss_mb: { label: "memory MB", fmt: (v) => fmt(v, 0) },
};
const $ = (id) => document.getElementById(id);
const S = { hist: empty(), cap: 900, windowS: 300, offset: 0, lastT: 0, uptime: 0, jobs: [], workers: [], metric: "rate", status: null };

function empty() {
  const h = { t: [], workers: {} };
  for (const k of CLUSTER) h[k] = [];
  return h;
}
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = String(text);
  return e;
}
function svgEl(tag, attrs) {
  const e = document.createElementNS(NS, tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  return e;
}
function fmt(n, digits) {
  if (n === null || n === undefined || Number.isNaN(n)) return "–";
  return Number(n).toLocaleString("en-US", { maximumFractionDigits: digits === undefined ? 0 : digits });
}
function short(n) {
  const a = Math.abs(n);
  if (a >= 1e6) return fmt(n / 1e6, 1) + "M";
  if (a >= 1e4) return fmt(n / 1e3, 0) + "k";
  if (a >= 1e3) return fmt(n / 1e3, 1) + "k";
  return fmt(n, a < 10 && a % 1 !== 0 ? 2 : 0);
}
function duration(s) {
  if (s === null || s === undefined) return "–";
  if (s < 60) return fmt(s, 1) + " s";
  if (s < 3600) return Math.floor(s / 60) + " min " + Math.round(s % 60) + " s";
  return fmt(s / 3600, 1) + " h";
}
function clock(ms, withSeconds) {
  const d = new Date(ms);
  const p = (x) => String(x).padStart(2, "0");
  return p(d.getHours()) + ":" + p(d.getMinutes()) + (withSeconds ? ":" + p(d.getSeconds()) : "");
}
function now() {
  return Date.now() + S.offset;
}
function colorOf(i) {
  return PALETTE[i % PALETTE.length];
}

/** Appends a /status?since= history answer (columns) to the local copy, keeping S.cap samples. */
function append(h) {
  const H = S.hist;
  const n0 = H.t.length;
  const add = h.t.length;
  S.cap = h.capacity;
  if (add === 0) return;
  H.t.push(...h.t);
  for (const k of CLUSTER) H[k].push(...h[k]);
  const ids = new Set(Object.keys(H.workers).concat(Object.keys(h.workers)));
  for (const id of ids) {
    let w = H.workers[id];
    if (!w) {
      w = H.workers[id] = {};
      for (const f of WFIELDS) w[f] = new Array(n0).fill(null);
    }
    const src = h.workers[id];
    for (const f of WFIELDS) {
      if (src) w[f].push(...src[f]);
      else for (let i = 0; i < add; i++) w[f].push(null);
    }
  }
  const extra = H.t.length - S.cap;
  if (extra > 0) {
    H.t.splice(0, extra);
    for (const k of CLUSTER) H[k].splice(0, extra);
    for (const id in H.workers) {
      const w = H.workers[id];
      for (const f of WFIELDS) w[f].splice(0, extra);
      if (w.active.every((v) => v === null)) delete H.workers[id];
    }
  }
  S.lastT = H.t[H.t.length - 1];
}

function renderCharts() {
  const H = S.hist;
  const errRate = H.rps.map((r, i) => (r === null || H.errors_5xx[i] === null ? null : r > 0 ? (H.errors_5xx[i] / r) * 100 : 0));
  const charts = [
    ["chart-rps", [{ name: "req/s", color: "#58a6ff", values: H.rps }], {}],
    ["chart-lat", [{ name: "p50", color: "#58a6ff", values: H.p50_ms }, { name: "p99", color: "#d29922", values: H.p99_ms }], { unit: "ms" }],
    ["chart-err", [{ name: "5xx/s", color: "#f85149", values: H.errors_5xx }, { name: "4xx/s", color: "#d29922", values: H.errors_4xx }, { name: "5xx %", color: "#a371f7", values: errRate, width: 1 }], {}],
  ];
  for (const [id, series, opts] of charts) {
    chart($(id), series, opts);
    legend($(id + "-legend"), series);
  }
  const m = METRICS[S.metric];
  const ids = Object.keys(H.workers).sort(byId);
  const series = ids.map((id, i) => ({ name: id, color: colorOf(i), values: H.workers[id][S.metric] }));
  chart($("chart-workers"), series, { scale: m.scale });
  legend($("chart-workers-legend"), series);
}

function byId(a, b) {
  return a.localeCompare(b, "en", { numeric: true });
}

function renderCards(s) {
  $("sub").textContent = "up " + duration(s.uptime_seconds) + " · pid " + s.pid + " · " + s.balance;
  $("w-active").textContent = s.workers.active;
  $("w-total").textContent = s.workers.total;
  $("rps").textContent = fmt(s.requests.per_second, 1);
  $("total").textContent = short(s.requests.total);
  $("inflight").textContent = fmt(s.requests.in_flight);
  $("p50").textContent = fmt(s.latency_ms.p50, 2);
  $("p99").textContent = fmt(s.latency_ms.p99, 2);
  $("lat-window").textContent = s.latency_ms.window_seconds;
  $("e5").textContent = short(s.errors["5xx"]);
  $("e5").className = s.errors["5xx"] > 0 ? "err" : "";
  $("e4").textContent = short(s.errors["4xx"]);
  $("retries").textContent = short(s.forwarding.retries);
  $("holds").textContent = short(s.forwarding.holds);
  $("jobs-running").textContent = s.jobs.filter((j) => j.state === "running" || j.state === "merging").length;
  $("jobs-done").textContent = S.jobs.length;
}

function renderWorkers() {
  const body = $("workers");
  const list = S.workers.slice().sort((a, b) => byId(a.ID, b.ID));
  if (list.length === 0) {
    const tr = el("tr");
    const td = el("td", "empty", "no worker known yet");
    td.colSpan = 12;
    tr.appendChild(td);
    body.replaceChildren(tr);
    return;
  }
  const ids = Object.keys(S.hist.workers).sort(byId);
  body.replaceChildren(...list.map((w) => {
    const h = S.hist.workers[w.ID];
    const last = (f) => (h ? h[f].slice(-1)[0] : null);
    const color = colorOf(Math.max(0, ids.indexOf(w.ID)));
    const tr = el("tr");
    tr.dataset.id = w.ID;
    tr.appendChild(el("td", "id", w.ID));
    const state = w.Draining ? "draining" : w.Active ? "active" : "down";
    const td = el("td");
    const badge = el("span", "badge " + state, state);
    if (w.LastError && !w.Active) badge.title = w.LastError;
    td.appendChild(badge);
    tr.appendChild(td);
    const rate = el("td", "num rate", fmt(last("rate"), 1));
    if (h) rate.appendChild(spark(h.rate, color));
    tr.appendChild(rate);
    const errors = last("errors");
    tr.appendChild(el("td", "num errors" + (errors > 0 ? " err" : ""), fmt(errors, 1)));
    tr.appendChild(el("td", "num restarts" + (w.Restarts > 0 ? " err" : ""), fmt(w.Restarts)));
    tr.appendChild(el("td", "num down", w.DownSeconds > 0 ? duration(w.DownSeconds) : "0"));
    tr.appendChild(el("td", "num cpu", w.CPU === null ? "–" : fmt(w.CPU * 100, 0) + " %"));
    const mem = el("td", "num mem", w.MemoryBytes === null ? "–" : fmt(w.MemoryBytes / 1048576, 0) + " MB");
    if (h) mem.appendChild(spark(h.rss_mb, color));
    tr.appendChild(mem);
    tr.appendChild(el("td", "num load", fmt(w.Load)));
    tr.appendChild(el("td", "num wide", w.LatencyMs ? fmt(w.LatencyMs, 2) + " ms" : "–"));
    tr.appendChild(el("td", "num wide", fmt(w.Completed) + " / " + fmt(w.Failed)));
    tr.appendChild(el("td", "addr wide", w.Address));
    return tr;
  }));
}

function resultText(j) {
  const r = j.result;
  if (!r) return j.state === "done" ? "done" : "–";
  if (r.pi !== undefined) return "π ≈ " + Number(r.pi).toFixed(6) + " (" + short(r.total_points) + " points)";
  if (r.total_words !== undefined) return short(r.total_words) + " words, " + short(r.unique_words) + " unique";
  return Object.entries(r).map(([k, v]) => k + " " + v).join(", ");
}

function renderJobs(running) {
  const box = $("jobs");
  const live = running.filter((j) => j.state === "running" || j.state === "merging");
  box.replaceChildren(...(live.length === 0 ? [el("div", "empty", "no job running")] : live.map((j) => {
    const d = el("div", "job");
    const top = el("div", "top");
    top.append(el("b", "", j.kind), el("span", "", j.id), el("span", "", j.state));
    const total = j.chunks_total;
    top.appendChild(el("span", "meta", fmt(j.chunks_done) + (total === null ? "" : " / " + fmt(total)) + " chunks · " +
      fmt(j.workers_used) + " workers · " + fmt(j.chunk_retries) + " retries" + (j.bytes_in > 0 ? " · " + fmt(j.bytes_in / 1048576, 1) + " MiB in" : "")));
    d.appendChild(top);
    const bar = el("div", "progress" + (total === null ? " indeterminate" : ""));
    const fill = el("i");
    fill.style.width = total ? Math.min(100, (j.chunks_done / total) * 100).toFixed(1) + "%" : "30%";
    bar.appendChild(fill);
    d.appendChild(bar);
    return d;
  })));
  const body = $("finished");
  if (S.jobs.length === 0) {
    const tr = el("tr");
    const td = el("td", "empty", "no job finished yet");
    td.colSpan = 8;
    tr.appendChild(td);
    body.replaceChildren(tr);
    return;
  }
  body.replaceChildren(...S.jobs.slice().reverse().map((j) => {
    const tr = el("tr");
    tr.dataset.id = j.id;
    tr.appendChild(el("td", "", clock(j.finished_ms, true)));
    tr.appendChild(el("td", "", j.kind));
    const st = el("td");
    st.appendChild(el("span", "badge " + j.state, j.state));
    tr.appendChild(st);
    tr.appendChild(el("td", "result", resultText(j)));
    tr.appendChild(el("td", "num", duration(j.duration_ms / 1000)));
    tr.appendChild(el("td", "num", fmt(j.chunks_done)));
    tr.appendChild(el("td", "num retries" + (j.chunk_retries > 0 ? " err" : ""), fmt(j.chunk_retries)));
    tr.appendChild(el("td", "num wide", fmt(j.workers_used)));
    return tr;
  }));
}

async function getJson(path) {
  const r = await fetch(path, { cache: "no-store" });
  if (!r.ok) throw new Error(path + " answered " + r.status);
  return r.json();
}

async function tick() {
  try {
    const [s, workers] = await Promise.all([getJson("status?since=" + S.lastT), getJson("workers")]);
    if (s.uptime_seconds < S.uptime) {
      // Another dispatcher process: its history replaces ours.
      S.hist = empty();
      S.jobs = [];
      S.lastT = 0;
    }
    S.uptime = s.uptime_seconds;
    S.offset = s.now_ms - Date.now();
    S.status = s;
    S.workers = workers;
    append(s.history);
    const known = new Set(S.jobs.map((j) => j.id));
    for (const j of s.finished_jobs) if (!known.has(j.id)) S.jobs.push(j);
    S.jobs = S.jobs.slice(-50);
    render();
    $("conn").textContent = "live";
    $("conn").className = "";
    $("footer").textContent = "updated " + clock(now(), true) + " · " + S.hist.t.length + " s of history";
  } catch (err) {
    $("conn").textContent = "disconnected";
    $("conn").className = "lost";
  } finally {
    setTimeout(tick, 1000);
  }
}

function render() {
  if (!S.status) return;
  renderCards(S.status);
  renderCharts();
  renderWorkers();
  renderJobs(S.status.jobs);
}

$("window").onchange = (e) => {
  S.windowS = Number(e.target.value);
  render();
};
$("metric").onchange = (e) => {
  S.metric = e.target.value;
  $("metric-label").textContent = METRICS[S.metric].label;
  render();
};
window.addEventListener("resize", render);
tick();
`;
