/**
 * The /dashboard page: one self-contained document (inline CSS and JS, no external
 * assets, no CDN) kept as TS strings so tsc ships it without a copy step. The script
 * polls `/status?since=` and `/workers` every second (dashboard-script.ts); polling is
 * stateless on the server, goes through any proxy, and each poll carries only the new
 * seconds, so it costs one small request per second per open page.
 */
import { DASHBOARD_CHART_JS } from './dashboard-chart.js';
import { DASHBOARD_JS } from './dashboard-script.js';
import { DASHBOARD_CSS } from './dashboard-style.js';

const BODY = `
<header>
  <h1>dhttp dispatcher</h1>
  <span class="sub" id="sub">connecting…</span>
  <span class="right">
    <select id="window" aria-label="time window">
      <option value="60">last 1 min</option>
      <option value="300" selected>last 5 min</option>
      <option value="900">last 15 min</option>
    </select>
    <span id="conn">live</span>
  </span>
</header>
<main>
  <div class="cards">
    <div class="card"><h2>Workers</h2>
      <div class="big"><span id="w-active">–</span><small>/ <span id="w-total">–</span> active</small></div></div>
    <div class="card"><h2>Throughput</h2>
      <div class="big"><span id="rps">–</span><small>req/s</small></div>
      <div class="row"><span>total <b id="total">–</b></span><span>in flight <b id="inflight">–</b></span></div></div>
    <div class="card"><h2>Latency (last <span id="lat-window">10</span> s)</h2>
      <div class="big"><span id="p50">–</span><small>ms p50</small></div>
      <div class="row"><span>p99 <b id="p99">–</b> ms</span></div></div>
    <div class="card"><h2>Errors</h2>
      <div class="big"><span id="e5">–</span><small>5xx</small></div>
      <div class="row"><span>4xx <b id="e4">–</b></span><span>retries <b id="retries">–</b></span><span>holds <b id="holds">–</b></span></div></div>
    <div class="card"><h2>Jobs</h2>
      <div class="big"><span id="jobs-running">–</span><small>running</small></div>
      <div class="row"><span>recently finished <b id="jobs-done">–</b></span></div></div>
  </div>

  <div class="charts">
    <div class="panel"><div class="head"><h2>Requests / s</h2><span class="legend" id="chart-rps-legend"></span></div>
      <svg class="chart" id="chart-rps" role="img" aria-label="requests per second over time"></svg></div>
    <div class="panel"><div class="head"><h2>Latency p50 / p99 (ms, per second)</h2><span class="legend" id="chart-lat-legend"></span></div>
      <svg class="chart" id="chart-lat" role="img" aria-label="latency percentiles over time"></svg></div>
    <div class="panel"><div class="head"><h2>Errors</h2><span class="legend" id="chart-err-legend"></span></div>
      <svg class="chart" id="chart-err" role="img" aria-label="errors per second over time"></svg></div>
  </div>

  <section>
    <h2>Workers <small>rate and errors per second over the last second; sparklines: last 2 min</small></h2>
    <div class="scroll"><table>
      <thead><tr><th>ID</th><th>State</th><th class="num">Req/s</th><th class="num">Err/s</th><th class="num">Restarts</th>
        <th class="num">Down</th><th class="num">CPU</th><th class="num">Memory</th><th class="num">Load</th>
        <th class="num wide">Latency</th><th class="num wide">Done / failed</th><th class="wide">Address</th></tr></thead>
      <tbody id="workers"><tr><td colspan="12" class="empty">loading…</td></tr></tbody>
    </table></div>
    <div class="panel" style="margin-top:12px"><div class="head"><h2>Per worker: <span id="metric-label">req/s</span></h2>
      <select id="metric" aria-label="per-worker metric">
        <option value="rate">req/s</option><option value="errors">errors/s</option><option value="load">load</option>
        <option value="cpu">CPU</option><option value="rss_mb">memory</option>
      </select><span class="legend" id="chart-workers-legend"></span></div>
      <svg class="chart" id="chart-workers" role="img" aria-label="per-worker metric over time"></svg></div>
  </section>

  <section>
    <h2>Jobs</h2>
    <div id="jobs"><div class="empty">no job running</div></div>
    <div class="scroll"><table>
      <thead><tr><th>Finished</th><th>Kind</th><th>State</th><th>Result</th><th class="num">Duration</th>
        <th class="num">Chunks</th><th class="num">Retries</th><th class="num wide">Workers</th></tr></thead>
      <tbody id="finished"><tr><td colspan="8" class="empty">no job finished yet</td></tr></tbody>
    </table></div>
  </section>
  <footer id="footer"></footer>
</main>
<div class="tip" id="tip"></div>`;

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dhttp dispatcher</title>
<link rel="icon" href="data:,">
<style>${DASHBOARD_CSS}</style>
</head>
<body>${BODY}
<script>${DASHBOARD_CHART_JS}${DASHBOARD_JS}</script>
</body>
</html>
`;
