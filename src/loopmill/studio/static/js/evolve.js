// The evolve view: start a session (genome, population, optional target), play and
// rate each candidate, next generation, the fitness chart, favourites, write loops.

import { api } from "./api.js";
import { fitnessChart } from "./chart.js";
import { el, likes, num, setStatus, stars } from "./ui.js";

export class Evolve {
  constructor(player) {
    this.player = player;
    this.root = document.getElementById("view-evolve");
    this.current = null; // the open session's id
    this.data = null;
    this.build();
    this.loadList();
  }

  build() {
    this.form = el("form", { class: "card", id: "evo-form" },
      el("h2", {}, "New session"),
      el("label", {}, "genome", el("select", { name: "genome" },
        el("option", { value: "composer" }, "composer controls"), el("option", { value: "prompt" }, "prompt"))),
      el("label", {}, "prompt", el("input", { name: "prompt", value: "synthwave", maxlength: 500 })),
      el("label", {}, "population", el("input", { name: "population", type: "number", min: 2, max: 32, value: 6 })),
      el("label", {}, "seconds", el("input", { name: "seconds", type: "number", min: 4, max: 30, value: 8 })),
      el("label", {}, "seed", el("input", { name: "seed", type: "number", min: 0, value: 0 })),
      el("label", {}, "target track (optional: evolve toward it)", el("input", { name: "target", type: "file", accept: ".wav,.flac,.ogg,.mp3" })),
      el("button", { type: "submit", class: "primary" }, "Start"),
      el("p", { class: "error", id: "evo-error", role: "alert" }));
    this.form.addEventListener("submit", (e) => { e.preventDefault(); this.start(); });
    this.list = el("ul", { class: "jobs", id: "evo-sessions" });
    this.main = el("div", { class: "card", id: "evo-main" }, el("p", { class: "empty" }, "Start a session, or open one."));
    this.root.replaceChildren(el("div", { class: "evo" },
      el("div", {}, this.form, el("div", { class: "card" }, el("h2", {}, "Sessions"), this.list)), this.main));
  }

  async start() {
    const err = document.getElementById("evo-error");
    err.textContent = "";
    const f = new FormData(this.form);
    const body = { genome: f.get("genome"), prompt: f.get("prompt"), population: Number(f.get("population")),
      seconds: Number(f.get("seconds")), seed: Number(f.get("seed") || 0) };
    try {
      const file = f.get("target");
      if (file && file.size) {
        const up = await api(`/api/uploads?name=${encodeURIComponent(file.name)}`, { method: "POST", body: file });
        body.target = up.id;
      }
      const s = await api("/api/evolve", { method: "POST", body });
      await this.loadList();
      await this.open(s.id);
    } catch (e) {
      err.textContent = e.message;
    }
  }

  async loadList() {
    const { sessions } = await api("/api/evolve");
    this.list.replaceChildren(...sessions.map((s) => el("li", { dataset: { session: s.id },
      class: s.id === this.current ? "sel" : "", onclick: () => this.open(s.id) },
      el("div", { class: "head" }, el("span", { class: `badge ${s.busy ? "running" : "done"}` }, s.busy ? "busy" : s.mode),
        el("b", {}, `${s.genome}: ${s.prompt}`), el("span", {}, s.id)))));
    if (!sessions.length) this.list.append(el("p", { class: "empty" }, "No sessions yet."));
  }

  async open(sid) {
    this.current = sid;
    try {
      this.data = await api(`/api/evolve/${sid}`);
    } catch (e) {
      setStatus(e.message, true);
      return;
    }
    this.render();
  }

  event(type, ev) {
    if (type !== "evolve") return;
    this.loadList();
    if (ev.session === this.current) this.open(this.current);
    if (ev.written) setStatus(`wrote ${ev.written.length} loop${ev.written.length > 1 ? "s" : ""} to the library`);
  }

  render() {
    const d = this.data;
    const sid = d.id;
    const busy = d.busy ? el("p", { class: "pending", id: "evo-busy" }, `● ${d.busy}…`) : "";
    const error = d.error ? el("p", { class: "error" }, d.error) : "";
    // once stars saturate the session asks "this one or the champion?" instead
    this.pair = d.question === "pair" && !!d.champion;
    const cards = d.candidates.map((c) => this.card(sid, c));
    const champ = d.champion;
    const question = this.pair ? el("div", { class: "row", id: "evo-question" },
      el("button", { class: "play", disabled: !champ.playable, "aria-label": "play the champion",
        onclick: () => this.toggle(champ.source) }, this.player.current?.id === champ.source ? "■" : "▶"),
      el("span", {}, `Your ratings no longer tell these apart: is each one better than the champion (${champ.id})?`)) : "";
    const last = d.history.at(-1);
    this.main.replaceChildren(
      el("h2", {}, `Session ${sid}`),
      el("p", { class: "prompt" }, `${d.genome} genome · “${d.prompt}” · population ${d.population} · ${d.mode === "music" ? `toward ${d.target}` : "learns your taste from ratings"} · generation ${d.generation}`),
      busy, error,
      el("div", { class: "row" },
        el("button", { class: "primary", id: "evo-next", disabled: !!d.busy || !d.candidates.length,
          onclick: () => this.act(`/api/evolve/${sid}/next`) }, "Next generation ›"),
        el("button", { class: "ghost", disabled: !!d.busy || !d.best, onclick: () => this.act(`/api/evolve/${sid}/write`, { which: "best" }) }, "Write best as loop"),
        el("button", { class: "ghost", disabled: !!d.busy || !(d.favourites || []).length,
          onclick: () => this.act(`/api/evolve/${sid}/write`, { which: "favourites" }) }, `Write favourites (${(d.favourites || []).length})`),
        last ? el("span", {}, `last: best ${num(last.best, 3)} · mean ${num(last.mean, 3)}${d.best ? ` · best so far ${num(d.best.fitness, 3)} (g${d.best.generation})` : ""}`) : ""),
      question,
      el("div", { class: "cands", id: "evo-cands" }, cards),
      (d.favourites || []).length ? el("h2", {}, "Favourites") : "",
      (d.favourites || []).length ? el("div", { class: "cands", id: "evo-favs" }, d.favourites.map((c) => this.card(sid, c, true))) : "",
      el("h2", {}, "Fitness"),
      fitnessChart(d.history),
      (d.written || []).length ? el("p", { class: "prompt" }, `written: ${d.written.map((p) => p.split("/").pop()).join(", ")}`) : "");
    for (const li of this.list.children) li.classList?.toggle("sel", li.dataset.session === sid);
  }

  card(sid, c, kept = false) {
    const g = c.genome || {};
    const facts = Object.entries(g.controls || g).filter(([, v]) => typeof v === "number").slice(0, 4)
      .map(([k, v]) => `${k} ${v.toFixed(2)}`).join(" · ");
    const playing = this.player.current?.id === c.source;
    return el("div", { class: `cand ${c.favourite ? "fav" : ""}`, dataset: { candidate: c.id } },
      el("div", { class: "row" },
        el("button", { class: "play", disabled: !c.playable, "aria-label": `play ${c.id}`,
          onclick: () => this.toggle(c.source) }, playing ? "■" : "▶"),
        el("b", {}, c.id),
        el("button", { class: `ghost fav-btn`, title: "keep as favourite", "aria-label": "favourite",
          onclick: () => this.act(`/api/evolve/${sid}/favourite`, { candidate: c.id, on: !c.favourite }) }, c.favourite ? "♥" : "♡")),
      el("div", { class: "meta" }, c.error ? `failed: ${c.error}` : (c.prompt && g.text ? c.prompt : facts || c.prompt || "")),
      el("div", { class: "meta" }, `predicted ${c.predicted == null ? "–" : num(c.predicted, 2)}${c.fitness != null ? ` · fitness ${num(c.fitness, 3)}` : ""}`),
      c.playable && !kept && this.pair ? el("div", { class: "row prefer" },
        ...[[true, "better than the champion"], [false, "not better"]].map(([yes, label]) =>
          el("button", { class: `ghost ${c.preferred === yes ? "lit" : ""}`, dataset: { prefer: yes ? "1" : "0" },
            onclick: () => this.act(`/api/evolve/${sid}/prefer`, { candidate: c.id, preferred: yes }) }, label))) :
      c.playable && !kept ? el("div", { class: "row" },
        stars(c.rating, (s) => this.act(`/api/evolve/${sid}/rate`, { candidate: c.id, score: s, kind: "stars" })),
        likes(null, (s) => this.act(`/api/evolve/${sid}/rate`, { candidate: c.id, score: s, kind: "like" }))) : "");
  }

  async toggle(source) {
    try {
      if (this.player.current?.id === source) this.player.stop();
      else await this.player.play(source);
    } catch (e) {
      setStatus(e.message, true);
    }
    this.render();
  }

  async act(path, body = undefined) {
    try {
      this.data = await api(path, { method: "POST", body });
      this.render();
    } catch (e) {
      setStatus(e.message, true);
    }
  }
}
