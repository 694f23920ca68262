// The library: the catalog as a table, filtered, sorted and paged on the server; the
// selected loop's waveform, numbers, downloads, ratings, delete and suite phases.

import { api, download } from "./api.js";
import { clock, confirmDialog, el, likes, num, setStatus, stars } from "./ui.js";
import { Waveform } from "./waveform.js";

export class Library {
  constructor(player) {
    this.player = player;
    this.form = document.getElementById("filters");
    this.body = document.querySelector("#loops tbody");
    this.detail = document.getElementById("detail");
    this.offset = 0;
    this.limit = 50;
    this.total = 0;
    this.rows = [];
    this.selected = null;
    this.wave = null;
    this.suite = null;
    let timer = null;
    this.form.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => { this.offset = 0; this.refresh(); }, 200);
    });
    this.form.addEventListener("reset", () => setTimeout(() => { this.offset = 0; this.refresh(); }));
    this.form.addEventListener("submit", (e) => e.preventDefault());
    document.getElementById("prev").onclick = () => { this.offset = Math.max(0, this.offset - this.limit); this.refresh(); };
    document.getElementById("next").onclick = () => { this.offset += this.limit; this.refresh(); };
    document.getElementById("page-size").onchange = (e) => { this.limit = Number(e.target.value); this.offset = 0; this.refresh(); };
    for (const th of document.querySelectorAll("#loops th[data-sort]")) {
      th.onclick = () => {
        const sort = this.form.elements.sort, order = this.form.elements.order;
        if (sort.value === th.dataset.sort) order.value = order.value === "desc" ? "asc" : "desc";
        else sort.value = th.dataset.sort;
        this.offset = 0;
        this.refresh();
      };
    }
    player.addEventListener("change", () => this.markPlaying());
  }

  query() {
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(this.form)) if (v !== "") q.set(k, v);
    q.set("offset", this.offset);
    q.set("limit", this.limit);
    return q;
  }

  async facets() {
    const f = await api("/api/facets");
    for (const name of ["genre", "key", "run_id", "suite"]) {
      const sel = this.form.elements[name];
      const keep = sel.value;
      sel.replaceChildren(sel.options[0]);
      for (const v of f[name]) sel.append(el("option", { value: v }, v));
      sel.value = keep;
    }
  }

  async refresh() {
    performance.mark("loopmill:library-request");
    let page;
    try {
      page = await api("/api/loops?" + this.query());
    } catch (err) {
      setStatus(err.message, true);
      return;
    }
    this.rows = page.rows;
    this.total = page.total;
    this.render(page);
    performance.mark("loopmill:library-rendered");
    performance.measure("loopmill:library", "loopmill:library-request", "loopmill:library-rendered");
    const fy = page.for_you ? ` · for you: ${page.for_you.scored} of ${page.for_you.of} scored` : "";
    setStatus(`${page.total} loops · page in ${page.server_ms} ms${fy}`);
  }

  render(page) {
    const sort = this.form.elements.sort.value;
    for (const th of document.querySelectorAll("#loops th[data-sort]")) {
      th.classList.toggle("sorted", th.dataset.sort === sort);
    }
    const frag = document.createDocumentFragment();
    for (const r of page.rows) frag.append(this.rowFor(r));
    this.body.replaceChildren(frag);
    document.getElementById("empty").hidden = page.rows.length > 0;
    const end = Math.min(page.total, page.offset + page.rows.length);
    document.getElementById("range").textContent =
      page.total ? `${page.offset + 1}–${end} of ${page.total}` : "0 of 0";
    document.getElementById("prev").disabled = page.offset === 0;
    document.getElementById("next").disabled = end >= page.total;
    this.markPlaying();
  }

  rowFor(r) {
    const tr = el("tr", { dataset: { id: r.id }, class: this.selected === r.id ? "sel" : "",
      onclick: () => this.select(r.id) },
      el("td", {}, el("button", { class: "play", title: "play / stop", "aria-label": `play ${r.name}`,
        dataset: { play: r.id }, onclick: (e) => { e.stopPropagation(); this.togglePlay(r.id); } }, "▶")),
      el("td", { class: "name", title: r.prompt || "" }, r.name || `#${r.id}`),
      el("td", {}, r.genre || "–"),
      el("td", { class: "num" }, num(r.bpm, 0)),
      el("td", {}, r.key || "–"),
      el("td", { class: "num" }, clock(r.duration)),
      el("td", { class: "num" }, num(r.loudness_lufs, 1)),
      el("td", { class: "num" }, num(r.seam_score, 3)),
      el("td", {}, stars(r.rating, (s) => this.rate(r.id, s, "stars"))),
      el("td", {}, likes(r.like, (s) => this.rate(r.id, s, "like"))),
      el("td", {},
        el("button", { class: "ab-btn ghost", title: "put in slot A",
          onclick: (e) => { e.stopPropagation(); this.player.setSlot("A", r.id); this.slotName("A", r.name); } }, "A"),
        el("button", { class: "ab-btn ghost", title: "put in slot B",
          onclick: (e) => { e.stopPropagation(); this.player.setSlot("B", r.id); this.slotName("B", r.name); } }, "B")));
    if (r.predicted != null) tr.title = `predicted ${r.predicted.toFixed(2)}`;
    return tr;
  }

  slotName(slot, name) {
    document.getElementById(`slot-${slot}`).textContent = `${slot} ${name}`;
  }

  markPlaying() {
    const id = this.player.current?.id;
    for (const tr of this.body.children) {
      const on = Number(tr.dataset.id) === id;
      tr.classList.toggle("playing", on);
      const b = tr.querySelector("button.play");
      if (b) b.textContent = on ? "■" : "▶";
    }
  }

  async togglePlay(id) {
    if (this.player.current?.id === id) { this.player.stop(); return; }
    try {
      await this.player.play(id);
    } catch (err) {
      setStatus(`cannot play loop ${id}: ${err.message}`, true);
    }
    if (this.selected !== id) this.select(id);
  }

  async rate(id, score, kind) {
    try {
      await api(`/api/loops/${id}/rating`, { method: "POST", body: { score, kind } });
      setStatus(kind === "stars" ? `rated ${score}★` : score > 0 ? "liked" : "disliked");
      await this.refresh();
      if (this.selected === id) this.select(id);
    } catch (err) {
      setStatus(err.message, true);
    }
  }

  async select(id) {
    this.selected = id;
    for (const tr of this.body.children) tr.classList.toggle("sel", Number(tr.dataset.id) === id);
    let info;
    try {
      info = await api(`/api/loops/${id}`);
    } catch (err) {
      setStatus(err.message, true);
      return;
    }
    if (this.selected !== id) return;
    const d = this.detail;
    d.hidden = false;
    const canvas = el("canvas", { id: "wave", "aria-label": "waveform" });
    const lp = info.loop;
    const dl = el("div", { class: "row" }, "download",
      ...info.formats.map((f) => el("a", { href: "#", onclick: (e) => {
        e.preventDefault();
        download(`/api/loops/${id}/file/${f}`, `${info.name || "loop"}.${f}`).catch((err) => setStatus(err.message, true));
      } }, f)));
    const last = (info.ratings || []).filter((x) => x.kind === "like").pop();
    d.replaceChildren(
      el("h2", {}, info.name || `loop ${id}`),
      el("p", { class: "prompt" }, info.prompt || ""),
      canvas,
      el("div", { class: "stats" },
        stat("tempo", info.bpm ? `${num(info.bpm, 1)} BPM` : "–"),
        stat("key", info.key || "–"), stat("bars", info.bars ?? "–"),
        stat("loudness", info.loudness_lufs != null ? `${num(info.loudness_lufs, 1)} LUFS` : "–"),
        stat("true peak", info.true_peak_db != null ? `${num(info.true_peak_db, 1)} dBTP` : "–"),
        stat("seam", num(info.seam_score, 3)),
        stat("loop", lp ? `${clock(lp.loop_start_s)} – ${clock(lp.loop_end_s)}` : "no file"),
        stat("engine", `${info.engine || "–"}${info.seed != null ? ` · seed ${info.seed}` : ""}`),
        stat("detected", info.detected_bpm ? `${num(info.detected_bpm, 1)} BPM ${info.detected_key || ""}` : "–")),
      el("div", { class: "row" },
        el("button", { class: "primary", dataset: { play: id },
          onclick: () => this.togglePlay(id) }, this.player.current?.id === id ? "■ stop" : "▶ play"),
        stars(info.rating, (s) => this.rate(id, s, "stars")),
        likes(last ? last.score : null, (s) => this.rate(id, s, "like"))),
      dl,
      el("div", { class: "row" },
        el("button", { class: "ghost", onclick: () => { this.player.setSlot("A", id); this.slotName("A", info.name); } }, "→ slot A"),
        el("button", { class: "ghost", onclick: () => { this.player.setSlot("B", id); this.slotName("B", info.name); } }, "→ slot B"),
        el("button", { class: "danger", id: "delete", onclick: () => this.remove(id, info.name) }, "delete")),
      info.suite ? el("div", { class: "row phases", id: "phases" }, "suite phases …") : "");
    this.wave = new Waveform(canvas);
    if (info.playable) {
      api(`/api/loops/${id}/peaks?bins=600`).then((p) => {
        if (this.selected === id) this.wave.set(p, { bpm: info.bpm, beats: info.beats_per_bar || 4 });
      }).catch((err) => setStatus(err.message, true));
    }
    if (info.suite) this.showSuite(info.suite, id);
  }

  async showSuite(name, id) {
    const s = await api(`/api/suites/${encodeURIComponent(name)}`);
    const box = document.getElementById("phases");
    if (!box) return;
    const fade = el("select", { "aria-label": "cross-fade" },
      el("option", { value: "beat" }, "fade 1 beat"), el("option", { value: "bar", selected: true }, "fade 1 bar"),
      el("option", { value: "2bars" }, "fade 2 bars"));
    box.replaceChildren(el("span", {}, `suite ${name}:`), ...s.phases.map((p) =>
      el("button", { class: p.loop_id === this.player.current?.id ? "on" : "", dataset: { phase: p.phase },
        disabled: !p.playable, onclick: async () => {
          const bar = (60 / (p.bpm || 120)) * (s.beats_per_bar || 4);
          const f = { beat: bar / (s.beats_per_bar || 4), bar, "2bars": 2 * bar }[fade.value];
          if (!this.player.current) await this.player.play(p.loop_id);
          else await this.player.switchTo(p.loop_id, { samePosition: true, fade: f, label: p.phase });
          for (const b of box.querySelectorAll("button")) b.classList.toggle("on", b.dataset.phase === p.phase);
        } }, p.phase)), fade);
  }

  async remove(id, name) {
    if (!(await confirmDialog(`Delete ${name || `loop ${id}`}? Its files and catalog row are removed.`))) return;
    try {
      if (this.player.current?.id === id) this.player.stop();
      const r = await api(`/api/loops/${id}`, { method: "DELETE" });
      setStatus(`deleted ${name} (${r.removed.length} files)`);
      this.detail.hidden = true;
      this.selected = null;
      await this.refresh();
    } catch (err) {
      setStatus(err.message, true);
    }
  }

  tick() {
    const st = this.player.state();
    if (this.wave && st && st.id === this.selected) this.wave.draw(st.pos);
  }
}

function stat(label, value) {
  return el("div", {}, label, el("b", {}, value));
}
