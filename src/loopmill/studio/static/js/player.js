// Seamless playback with Web Audio: an AudioBufferSourceNode with loop = true and
// loopStart / loopEnd from the file's own loop points, a play head, a wrap counter,
// A/B switching and suite phase cross-fades scheduled on the next bar line.

import { api } from "./api.js";

const LOOKAHEAD_S = 0.06; // a change is scheduled at least this far ahead
const SWITCH_FADE_S = 0.012; // A/B: a tiny fade so the cut makes no click
const HEAD_S = 6; // seconds of PCM that start a loop while its file decodes

// Where a playable thing lives: a catalog loop (a number) or an evolve candidate
// ("evolve/<session>/candidates/<id>"); each answers /, /audio, /head and /peaks.
export function sourceUrl(id) {
  return typeof id === "number" ? `/api/loops/${id}` : `/api/${id}`;
}

export class Player extends EventTarget {
  constructor() {
    super();
    this.ctx = null;
    this.master = null;
    this.cache = new Map(); // loop id -> Promise<{id, info, buffer}>
    this.infos = new Map(); // loop id -> Promise<info>
    this.decoded = new Map(); // loop id -> {id, info, buffer}, once decoded
    this.ticket = 0;
    this.current = null; // {id, entry, src, gain, t0, offset}
    this.leaving = []; // voices fading out
    this.slots = { A: null, B: null };
    this.live = null; // "A", "B" or null
    this.pending = null; // {when, label}
  }

  ensureContext() {
    if (!this.ctx) {
      this.ctx = new AudioContext({ latencyHint: "interactive", sampleRate: 44100 });
      this.master = this.ctx.createGain();
      this.master.connect(this.ctx.destination);
    }
    if (this.ctx.state === "suspended") this.ctx.resume();
    return this.ctx;
  }

  info(id) {
    if (!this.infos.has(id)) {
      const p = api(sourceUrl(id)).then((info) => {
        if (!info.loop) throw new Error(`loop ${id} has no playable file`);
        return info;
      });
      p.catch(() => this.infos.delete(id));
      this.infos.set(id, p);
    }
    return this.infos.get(id);
  }

  // The whole file, decoded: {id, info, buffer}.
  load(id) {
    if (!this.cache.has(id)) {
      const ctx = this.ensureContext();
      const p = (async () => {
        const [info, resp] = await Promise.all([this.info(id), api(`${sourceUrl(id)}/audio`, { raw: true })]);
        const bytes = await resp.arrayBuffer();
        performance.mark("loopmill:fetched");
        const buffer = await ctx.decodeAudioData(bytes);
        performance.mark("loopmill:decoded");
        const entry = { id, info, buffer };
        if (this.cache.get(id) === p) this.decoded.set(id, entry); // not forgotten meanwhile
        return entry;
      })();
      p.catch(() => this.cache.delete(id));
      this.cache.set(id, p);
      if (this.cache.size > 24) {
        const oldest = this.cache.keys().next().value;
        this.cache.delete(oldest);
        this.decoded.delete(oldest);
      }
    }
    return this.cache.get(id);
  }

  forget() { // drop every cached file (the benchmark measures cold starts)
    this.cache.clear();
    this.infos.clear();
    this.decoded.clear();
  }

  // The loop region's first HEAD_S seconds as PCM (no decode to speak of), played while
  // the whole file decodes: {id, info, buffer, head: true}.
  async loadHead(id) {
    const [info, resp] = await Promise.all([this.info(id), api(`${sourceUrl(id)}/head?seconds=${HEAD_S}`, { raw: true })]);
    const buffer = await this.ctx.decodeAudioData(await resp.arrayBuffer());
    return { id, info, buffer, head: true };
  }

  static region(entry) {
    const lp = entry.info.loop;
    const end = entry.head ? lp.loop_end_s : Math.min(lp.loop_end_s, entry.buffer.duration);
    return { start: lp.loop_start_s, end, len: end - lp.loop_start_s };
  }

  static barSeconds(entry) {
    const bpm = entry.info.bpm || 120;
    const beats = entry.info.beats_per_bar || 4;
    return (60 / bpm) * beats;
  }

  voice(entry, when, offset, level = 1) {
    const ctx = this.ctx;
    const src = ctx.createBufferSource();
    src.buffer = entry.buffer;
    const gain = ctx.createGain();
    gain.gain.value = level;
    src.connect(gain).connect(this.master);
    if (entry.head) { // plays once, from the loop start; the looping buffer takes over
      src.start(when, offset - entry.info.loop.loop_start_s);
    } else {
      src.loop = true;
      src.loopStart = entry.info.loop.loop_start_s;
      src.loopEnd = entry.info.loop.loop_end_s;
      src.start(when, offset);
    }
    return { id: entry.id, entry, src, gain, t0: when, offset, head: !!entry.head };
  }

  // Where a voice is at context time t: loop position (s), wraps, raw position.
  static position(v, t) {
    const r = Player.region(v.entry);
    const raw = v.offset + Math.max(0, t - v.t0);
    if (raw < r.end || r.len <= 0) return { pos: raw, wraps: 0, raw };
    const into = raw - r.start;
    return { pos: r.start + (into % r.len), wraps: Math.floor(into / r.len), raw };
  }

  state() {
    if (!this.current || !this.ctx) return null;
    const t = this.ctx.currentTime;
    const p = Player.position(this.current, t);
    return { id: this.current.id, name: this.current.entry.info.name, ...p,
             region: Player.region(this.current.entry), duration: this.current.entry.buffer.duration,
             playing: t >= this.current.t0 };
  }

  async play(id) {
    performance.mark("loopmill:play-click");
    this.ensureContext();
    const ticket = ++this.ticket;
    const full = this.load(id);
    let entry = this.decoded.get(id);
    let path = "buffer";
    if (!entry) {
      const head = this.loadHead(id).catch(() => null);
      const first = await Promise.race([full, head.then((h) => h || full)]);
      entry = first;
      path = first.head ? "head" : "buffer";
    }
    if (ticket !== this.ticket) return null; // another click came first
    this.stop(false);
    const now = this.ctx.currentTime;
    const v = this.voice(entry, now, entry.info.loop.loop_start_s);
    this.current = v;
    performance.mark("loopmill:play-start");
    const m = performance.measure("loopmill:click-to-start", "loopmill:play-click",
      "loopmill:play-start");
    const latency = (this.ctx.baseLatency || 0) + (this.ctx.outputLatency || 0);
    this.lastClickToSoundMs = m.duration + latency * 1000;
    this.lastStartPath = path;
    this.live = this.slots.A === id ? "A" : this.slots.B === id ? "B" : null;
    if (v.head) full.then((e) => this.handOver(v, e));
    this.emit();
    return v;
  }

  // The decoded file replaces the head voice on the same sample of the loop.
  handOver(head, entry) {
    if (this.current !== head) return;
    const ts = this.ctx.currentTime + LOOKAHEAD_S;
    let pos = head.offset + (ts - head.t0);
    const r = Player.region(entry);
    if (pos >= r.end) pos = r.start + ((pos - r.start) % r.len);
    if (ts > head.t0 + head.entry.buffer.duration) console.warn("loopmill: decode outran the head; a gap");
    const v = this.voice(entry, ts, pos);
    v.t0 = head.t0; // one timeline: the same position() as the head's, from the click
    v.offset = head.offset;
    head.src.stop(ts);
    this.current = v;
    this.emit();
  }

  stop(emit = true) {
    for (const v of [this.current, ...this.leaving]) {
      if (v) { try { v.src.stop(); } catch { /* already stopped */ } v.src.disconnect(); }
    }
    this.current = null;
    this.leaving = [];
    this.pending = null;
    if (emit) { this.live = null; this.emit(); }
  }

  // The next bar line of the current voice: {when, bar} with when >= now + lookahead.
  nextBar() {
    const v = this.current;
    const t = this.ctx.currentTime + LOOKAHEAD_S;
    const bar = Player.barSeconds(v.entry);
    const r = Player.region(v.entry);
    const raw = v.offset + Math.max(0, t - v.t0);
    let k = Math.ceil((raw - r.start) / bar - 1e-9);
    const bars = Math.max(1, Math.round(r.len / bar));
    const when = v.t0 + (r.start + k * bar - v.offset);
    k %= bars;
    return { when, bar: k, bars, barLen: bar };
  }

  // Replace the current voice at the next bar line. `samePosition`: the new loop goes
  // on from where the old one is (suite phases share tempo and length); otherwise it
  // enters at the same bar number. `fade`: cross-fade seconds.
  async switchTo(id, { samePosition = false, fade = SWITCH_FADE_S, label = "" } = {}) {
    if (!this.current) return this.play(id);
    const entry = await this.load(id);
    if (!this.current) return this.play(id);
    const old = this.current;
    const nb = this.nextBar();
    const r = Player.region(entry);
    let offset;
    if (samePosition) {
      offset = Player.position(old, nb.when).pos;
      if (offset >= r.end) offset = r.start + ((offset - r.start) % r.len);
    } else {
      const barNew = Player.barSeconds(entry);
      const barsNew = Math.max(1, Math.round(r.len / barNew));
      offset = r.start + (nb.bar % barsNew) * barNew;
    }
    const v = this.voice(entry, nb.when, offset, fade > 0 ? 0 : 1);
    if (fade > 0) {
      v.gain.gain.setValueAtTime(0, nb.when);
      v.gain.gain.linearRampToValueAtTime(1, nb.when + fade);
      old.gain.gain.setValueAtTime(1, nb.when);
      old.gain.gain.linearRampToValueAtTime(0, nb.when + fade);
    }
    old.src.stop(nb.when + fade + 0.01);
    this.leaving.push(old);
    old.src.onended = () => { this.leaving = this.leaving.filter((x) => x !== old); };
    this.current = v;
    this.pending = { when: nb.when, label: label || entry.info.name, bar: nb.bar + 1 };
    this.lastSwitch = { when: nb.when, at: this.ctx.currentTime, from: old.id, to: id };
    this.emit();
    setTimeout(() => { this.pending = null; this.emit(); },
      Math.max(0, (nb.when - this.ctx.currentTime) * 1000) + 20);
    return v;
  }

  setSlot(name, id) {
    this.slots[name] = id;
    this.emit();
  }

  // A ⇄ B on the next bar line (plays A when nothing plays).
  async toggleAB() {
    const { A, B } = this.slots;
    if (A == null && B == null) return;
    if (!this.current) {
      const first = A ?? B;
      await this.play(first);
      this.live = first === A ? "A" : "B";
      return this.emit();
    }
    const to = this.live === "A" ? "B" : "A";
    if (this.slots[to] == null) return;
    await this.switchTo(this.slots[to], { label: to });
    this.live = to;
    this.emit();
  }

  emit() { this.dispatchEvent(new Event("change")); }
}
