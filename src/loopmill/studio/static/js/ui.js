// Small DOM helpers shared by the views (no framework).

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export const num = (v, digits = 1) => (v == null ? "–" : Number(v).toFixed(digits));

export function clock(s) {
  if (s == null || !isFinite(s)) return "–";
  const m = Math.floor(s / 60);
  return `${m}:${(s - m * 60).toFixed(1).padStart(4, "0")}`;
}

export function setStatus(text, bad = false) {
  const s = document.getElementById("status");
  s.textContent = text;
  s.style.color = bad ? "var(--bad)" : "";
}

// Five stars; `value` may be fractional (a mean), `onrate(score)` stores one.
export function stars(value, onrate) {
  const box = el("span", { class: "stars", role: "group", "aria-label": "rating" });
  for (let i = 1; i <= 5; i++) {
    box.append(el("button", {
      class: value != null && Math.round(value) >= i ? "lit" : "", title: `${i} star${i > 1 ? "s" : ""}`,
      "aria-label": `rate ${i}`, dataset: { score: i },
      onclick: (e) => { e.stopPropagation(); onrate(i); },
    }, value != null && Math.round(value) >= i ? "★" : "☆"));
  }
  return box;
}

// Like / dislike; `value` 1, -1 or null.
export function likes(value, onlike) {
  return el("span", { class: "like", role: "group", "aria-label": "like" },
    el("button", { class: `up ${value === 1 ? "lit" : ""}`, title: "like", "aria-label": "like",
      onclick: (e) => { e.stopPropagation(); onlike(1); } }, "▲"),
    el("button", { class: `down ${value === -1 ? "lit" : ""}`, title: "dislike",
      "aria-label": "dislike", onclick: (e) => { e.stopPropagation(); onlike(-1); } }, "▼"));
}

export function confirmDialog(text) {
  const dlg = document.getElementById("confirm");
  document.getElementById("confirm-text").textContent = text;
  return new Promise((resolve) => {
    dlg.addEventListener("close", () => resolve(dlg.returnValue === "ok"), { once: true });
    dlg.showModal();
  });
}
