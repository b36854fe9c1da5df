/**
 * The dashboard's chart drawing (dashboard-page.ts inlines it before dashboard-script.ts):
 * SVG line charts with a time axis over the chosen window and a value axis with round
 * steps, a hover read-out, legends and the table's sparklines. It reads the page script's
 * state `S` and helpers at call time. (Kept free of backticks and `${`, being inside a
 * template literal.)
 */
export const DASHBOARD_CHART_JS = String.raw`
"use strict";
function niceStep(max, count) {
  const raw = max / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

/**
 * Draws series [{name, color, values}] (aligned with S.hist.t) over the chosen window, with
 * time and value axes; a gap in the samples (a null, or a missing second) breaks the line.
 */
function chart(svg, series, opts) {
  const W = Math.max(200, svg.clientWidth || 600);
  const H = Math.max(100, svg.clientHeight || 170);
  svg.setAttribute("viewBox", "0 0 " + W + " " + H);
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  const L = 46, R = 8, T = 8, B = 20;
  const t1 = now(), t0 = t1 - S.windowS * 1000;
  const ts = S.hist.t;
  let first = ts.findIndex((t) => t >= t0);
  if (first < 0) first = ts.length;
  const scale = opts.scale || 1;
  let max = 0;
  for (const s of series) for (let i = first; i < ts.length; i++) if (s.values[i] !== null) max = Math.max(max, s.values[i] * scale);
  const step = niceStep(max > 0 ? max : 1, 4);
  const top = Math.max(step, Math.ceil((max > 0 ? max : 1) / step) * step);
  const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
  const y = (v) => T + (1 - v / top) * (H - T - B);
  for (let v = 0; v <= top + step / 2; v += step) {
    svg.appendChild(svgEl("line", { class: "grid", x1: L, x2: W - R, y1: y(v), y2: y(v) }));
    const label = svgEl("text", { x: L - 6, y: y(v) + 3.5, "text-anchor": "end" });
    label.textContent = short(v) + (opts.unit && v === top ? " " + opts.unit : "");
    svg.appendChild(label);
  }
  const span = S.windowS;
  const tick = [10, 15, 30, 60, 120, 300, 600, 900, 1800].find((s) => span / s <= 6) * 1000;
  for (let t = Math.ceil(t0 / tick) * tick; t <= t1; t += tick) {
    svg.appendChild(svgEl("line", { class: "axis", x1: x(t), x2: x(t), y1: H - B, y2: H - B + 4 }));
    const label = svgEl("text", { x: x(t), y: H - 5, "text-anchor": "middle" });
    label.textContent = clock(t, tick < 60000);
    svg.appendChild(label);
  }
  svg.appendChild(svgEl("line", { class: "axis", x1: L, x2: W - R, y1: H - B, y2: H - B }));
  svg.appendChild(svgEl("line", { class: "axis", x1: L, x2: L, y1: T, y2: H - B }));
  let points = 0;
  series.forEach((s, k) => {
    let d = "";
    let prev = -Infinity;
    for (let i = first; i < ts.length; i++) {
      const v = s.values[i];
      if (v === null || v === undefined) {
        prev = -Infinity;
        continue;
      }
      const gap = ts[i] - prev > 2500;
      d += (gap ? "M" : "L") + x(ts[i]).toFixed(1) + " " + y(v * scale).toFixed(1);
      prev = ts[i];
      if (k === 0) points++;
    }
    if (d) svg.appendChild(svgEl("path", { d: d, fill: "none", stroke: s.color, "stroke-width": s.width || 1.6, "stroke-linejoin": "round" }));
  });
  svg.dataset.points = String(points);
  svg.dataset.top = String(top);
  svg.onmousemove = (ev) => tip(ev, svg, series, opts, x, t0, t1, L, W - R);
  svg.onmouseleave = () => ($("tip").style.display = "none");
}

function tip(ev, svg, series, opts, x, t0, t1, left, right) {
  const box = svg.getBoundingClientRect();
  const px = ((ev.clientX - box.left) / box.width) * (right + 8);
  if (px < left || px > right) return;
  const t = t0 + ((px - left) / (right - left)) * (t1 - t0);
  const ts = S.hist.t;
  let best = -1;
  for (let i = 0; i < ts.length; i++) if (best < 0 || Math.abs(ts[i] - t) < Math.abs(ts[best] - t)) best = i;
  if (best < 0) return;
  const lines = [clock(ts[best], true)];
  for (const s of series) lines.push(s.name + ": " + (s.values[best] === null ? "–" : short(s.values[best] * (opts.scale || 1))));
  const el = $("tip");
  el.textContent = lines.join("\n");
  el.style.display = "block";
  el.style.left = Math.min(window.innerWidth - 160, ev.clientX + 12) + "px";
  el.style.top = ev.clientY + 12 + "px";
}

function legend(box, series) {
  box.replaceChildren(...series.map((s) => {
    const span = el("span", "", s.name);
    const i = el("i");
    i.style.background = s.color;
    span.prepend(i);
    return span;
  }));
}

function spark(values, color) {
  const svg = svgEl("svg", { class: "spark", viewBox: "0 0 70 18", preserveAspectRatio: "none" });
  const v = values.slice(-120);
  const max = Math.max(1e-9, ...v.filter((x) => x !== null));
  let d = "";
  let pen = "M";
  v.forEach((val, i) => {
    if (val === null) {
      pen = "M";
      return;
    }
    d += pen + ((i / Math.max(1, v.length - 1)) * 70).toFixed(1) + " " + (17 - (val / max) * 16).toFixed(1);
    pen = "L";
  });
  if (d) svg.appendChild(svgEl("path", { d: d, fill: "none", stroke: color, "stroke-width": 1.2 }));
  return svg;
}
`;
