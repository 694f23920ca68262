// Best and mean fitness over generations as an SVG line chart (no chart library).

const NS = "http://www.w3.org/2000/svg";

function node(tag, attrs = {}, text = null) {
  const n = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  if (text != null) n.textContent = text;
  return n;
}

export function fitnessChart(history, { width = 560, height = 180 } = {}) {
  const svg = node("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": "best and mean fitness per generation" });
  const pad = { l: 44, r: 12, t: 12, b: 24 };
  if (!history.length) {
    svg.append(node("text", { x: width / 2, y: height / 2, "text-anchor": "middle" },
      "rate the candidates, then press next generation"));
    return svg;
  }
  const ys = history.flatMap((h) => [h.best, h.mean]).filter((v) => v != null);
  let lo = Math.min(...ys), hi = Math.max(...ys);
  if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
  const n = history.length;
  const x = (i) => pad.l + (n === 1 ? (width - pad.l - pad.r) / 2 : (i / (n - 1)) * (width - pad.l - pad.r));
  const y = (v) => pad.t + (1 - (v - lo) / (hi - lo)) * (height - pad.t - pad.b);
  svg.append(node("line", { class: "axis", x1: pad.l, y1: height - pad.b, x2: width - pad.r, y2: height - pad.b }));
  svg.append(node("line", { class: "axis", x1: pad.l, y1: pad.t, x2: pad.l, y2: height - pad.b }));
  for (const v of [lo, (lo + hi) / 2, hi]) {
    svg.append(node("text", { x: pad.l - 6, y: y(v) + 4, "text-anchor": "end" }, v.toFixed(2)));
  }
  history.forEach((h, i) => {
    if (n <= 12 || i % Math.ceil(n / 12) === 0) {
      svg.append(node("text", { x: x(i), y: height - 6, "text-anchor": "middle" }, `g${h.generation}`));
    }
  });
  for (const [key, cls] of [["mean", "mean"], ["best", "best"]]) {
    const pts = history.map((h, i) => `${x(i).toFixed(1)},${y(h[key]).toFixed(1)}`).join(" ");
    svg.append(node("polyline", { class: cls, points: pts }));
    history.forEach((h, i) => svg.append(node("circle", { cx: x(i), cy: y(h[key]), r: 3, class: cls })));
  }
  svg.append(node("text", { x: width - pad.r, y: pad.t + 4, "text-anchor": "end", class: "legend" }, "— best   - - mean"));
  return svg;
}
