/** The dashboard's CSS (dashboard-page.ts inlines it): dark, dense, readable from 360 px up. */
export const DASHBOARD_CSS = `
  :root {
    --bg: #0f1419; --panel: #171e26; --line: #263140; --grid: #1f2833; --text: #d8e0ea; --dim: #8393a7;
    --ok: #3fb950; --bad: #f85149; --warn: #d29922; --accent: #58a6ff; --p99: #d29922;
  }
  * { box-sizing: border-box; }
  body { margin: 0; background: var(--bg); color: var(--text);
    font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
  header { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 14px; padding: 12px 20px;
    border-bottom: 1px solid var(--line); background: var(--panel); }
  header h1 { margin: 0; font-size: 18px; font-weight: 600; }
  header .sub { color: var(--dim); font-size: 13px; }
  header .right { margin-left: auto; display: flex; gap: 10px; align-items: center; }
  select { background: var(--bg); color: var(--text); border: 1px solid var(--line); border-radius: 6px; padding: 3px 6px; font: inherit; font-size: 13px; }
  #conn { font-size: 12px; padding: 3px 10px; border-radius: 999px; background: rgba(63,185,80,.15); color: var(--ok); }
  #conn.lost { background: rgba(248,81,73,.15); color: var(--bad); }
  main { padding: 16px 20px; max-width: 1400px; margin: 0 auto; }
  .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; }
  .card, .panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; }
  .card h2, .panel h2 { margin: 0 0 4px; font-size: 12px; font-weight: 500; color: var(--dim);
    text-transform: uppercase; letter-spacing: .6px; }
  .big { font-size: 24px; font-weight: 600; font-variant-numeric: tabular-nums; }
  .big small { font-size: 13px; color: var(--dim); font-weight: 400; margin-left: 4px; }
  .row { display: flex; flex-wrap: wrap; gap: 4px 12px; color: var(--dim); font-size: 12.5px; font-variant-numeric: tabular-nums; }
  .row b { color: var(--text); font-weight: 500; }
  .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 12px; margin-top: 14px; }
  .panel .head { display: flex; align-items: baseline; gap: 10px; }
  .panel .head .legend { margin-left: auto; display: flex; flex-wrap: wrap; gap: 2px 10px; font-size: 12px; color: var(--dim); }
  .legend i { display: inline-block; width: 10px; height: 3px; border-radius: 2px; vertical-align: middle; margin-right: 4px; }
  svg.chart { display: block; width: 100%; height: 170px; margin-top: 6px; overflow: visible; }
  svg.chart .grid { stroke: var(--grid); stroke-width: 1; }
  svg.chart .axis { stroke: var(--line); stroke-width: 1; }
  svg.chart text { fill: var(--dim); font-size: 10.5px; font-variant-numeric: tabular-nums; }
  svg.chart .cursor { stroke: var(--dim); stroke-dasharray: 3 3; }
  .tip { position: fixed; pointer-events: none; background: #0b0f14ee; border: 1px solid var(--line); border-radius: 6px;
    padding: 5px 8px; font-size: 12px; display: none; z-index: 5; font-variant-numeric: tabular-nums; white-space: pre; }
  section { margin-top: 18px; }
  section > h2 { font-size: 15px; font-weight: 600; margin: 0 0 8px; display: flex; gap: 10px; align-items: baseline; }
  section > h2 small { color: var(--dim); font-weight: 400; font-size: 12.5px; }
  .scroll { overflow-x: auto; border: 1px solid var(--line); border-radius: 10px; background: var(--panel); }
  table { width: 100%; border-collapse: collapse; }
  th, td { padding: 7px 10px; text-align: left; border-bottom: 1px solid var(--line); white-space: nowrap;
    font-variant-numeric: tabular-nums; }
  th { font-size: 11.5px; font-weight: 500; color: var(--dim); text-transform: uppercase; letter-spacing: .5px; background: #131a22; }
  tr:last-child td { border-bottom: 0; }
  td.num, th.num { text-align: right; }
  td.addr { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; color: var(--dim); }
  td.id { font-weight: 600; position: sticky; left: 0; background: var(--panel); }
  td svg.spark { width: 70px; height: 18px; vertical-align: middle; margin-left: 6px; }
  .badge { display: inline-block; min-width: 58px; text-align: center; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; }
  .badge.active, .badge.done { background: rgba(63,185,80,.15); color: var(--ok); }
  .badge.down, .badge.failed { background: rgba(248,81,73,.15); color: var(--bad); }
  .badge.draining, .badge.cancelled { background: rgba(210,153,34,.15); color: var(--warn); }
  .empty { color: var(--dim); padding: 12px; text-align: center; }
  .err { color: var(--bad); }
  .job { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 8px 12px; margin-bottom: 8px; }
  .job .top { display: flex; flex-wrap: wrap; gap: 4px 12px; font-size: 13px; }
  .job .top .meta { color: var(--dim); margin-left: auto; }
  .progress { height: 7px; background: var(--line); border-radius: 4px; margin-top: 6px; overflow: hidden; }
  .progress i { display: block; height: 100%; background: linear-gradient(90deg, #1f6feb, var(--accent)); transition: width .4s; }
  .progress.indeterminate i { width: 30% !important; animation: slide 1.2s infinite linear; }
  @keyframes slide { from { margin-left: -30%; } to { margin-left: 100%; } }
  footer { color: var(--dim); font-size: 12px; margin-top: 16px; }
  @media (max-width: 640px) {
    header, main { padding-left: 10px; padding-right: 10px; }
    .wide { display: none; }
    .big { font-size: 20px; }
    .charts { grid-template-columns: 1fr; }
    svg.chart { height: 140px; }
    th, td { padding: 5px 6px; font-size: 12.5px; }
    td svg.spark { display: none; }
    .badge { min-width: 0; padding: 1px 6px; }
  }
`;
