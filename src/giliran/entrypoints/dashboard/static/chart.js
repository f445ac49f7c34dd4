// The queue over the last hours, drawn as inline SVG: the depth as a line (left scale), the
// mean wait of the tickets assigned as bars (right scale, minutes) and the service-level
// target as a dashed line on that scale.

import { lang, t } from "./common.js";

const NS = "http://www.w3.org/2000/svg";
const W = 720, H = 240, LEFT = 40, RIGHT = 44, TOP = 12, BOTTOM = 28;
const hhmm = (iso) => new Date(iso).toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });

function el(name, attributes = {}, text = null) {
  const node = document.createElementNS(NS, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== null) node.textContent = text;
  return node;
}

/** A scale's top: a round number at or above the largest value. */
function ceiling(value) {
  if (value <= 5) return 5;
  const step = 10 ** Math.floor(Math.log10(value));
  return Math.ceil(value / step) * step;
}

export function drawChart(container, series, targetMinutes = null) {
  const buckets = series.buckets;
  const depthTop = ceiling(Math.max(...buckets.map((b) => b.queued), 0));
  const waits = buckets.map((b) => (b.mean_wait_seconds ?? 0) / 60);
  const waitTop = ceiling(Math.max(...waits, targetMinutes ?? 0, 0));
  const plotW = W - LEFT - RIGHT, plotH = H - TOP - BOTTOM;
  const step = plotW / Math.max(1, buckets.length);
  const x = (i) => LEFT + step * i;
  const yDepth = (v) => TOP + plotH * (1 - v / depthTop);
  const yWait = (v) => TOP + plotH * (1 - v / waitTop);
  const last = buckets.at(-1);
  const summary = t("admin.chart_summary", {
    depth: last?.queued ?? 0, peak: Math.max(...buckets.map((b) => b.queued), 0),
    wait: Math.round(Math.max(...waits, 0)),
  });
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": summary });
  svg.append(el("title", {}, summary));
  svg.append(el("line", { class: "axis", x1: LEFT, y1: TOP + plotH, x2: W - RIGHT, y2: TOP + plotH }));
  svg.append(el("line", { class: "axis", x1: LEFT, y1: TOP, x2: LEFT, y2: TOP + plotH }));
  svg.append(el("line", { class: "axis", x1: W - RIGHT, y1: TOP, x2: W - RIGHT, y2: TOP + plotH }));
  for (const fraction of [0, 0.5, 1]) {
    const y = TOP + plotH * (1 - fraction);
    svg.append(el("text", { x: LEFT - 6, y: y + 4, "text-anchor": "end" }, String(depthTop * fraction)));
    svg.append(el("text", { x: W - RIGHT + 6, y: y + 4 }, `${waitTop * fraction}′`));
  }
  buckets.forEach((bucket, i) => {
    if (waits[i] > 0) {
      const top = yWait(waits[i]);
      svg.append(el("rect", { class: "wait", x: x(i) + step * 0.15, y: top, width: step * 0.7,
                              height: TOP + plotH - top }));
    }
    if (i % Math.ceil(buckets.length / 6) === 0) {
      svg.append(el("text", { x: x(i), y: H - 8 }, hhmm(bucket.start)));
    }
  });
  const points = buckets.map((b, i) => `${x(i) + step / 2},${yDepth(b.queued)}`).join(" ");
  svg.append(el("polyline", { class: "depth", points }));
  if (targetMinutes) {  // the service-level target, on the wait scale
    const y = yWait(targetMinutes);
    svg.append(el("line", { class: "target", x1: LEFT, y1: y, x2: W - RIGHT, y2: y,
                            "data-minutes": targetMinutes }));
  }
  container.replaceChildren(svg);
}
