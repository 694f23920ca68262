// The generate form and the job list, kept current by the event stream.

import { api } from "./api.js";
import { el, setStatus } from "./ui.js";

const NUMBERS = ["bpm", "min_duration", "max_duration", "count", "seed"];

export class Generate {
  constructor(play) {
    this.play = play; // play(loopId): the library's play/stop
    this.form = document.getElementById("gen-form");
    this.list = document.getElementById("jobs");
    this.jobs = new Map();
    this.form.addEventListener("submit", (e) => { e.preventDefault(); this.submit(); });
  }

  request() {
    const data = new FormData(this.form);
    const body = { formats: data.getAll("formats") };
    for (const [k, v] of data) {
      if (k === "formats" || v === "") continue;
      body[k] = NUMBERS.includes(k) ? Number(v) : v;
    }
    return body;
  }

  async submit() {
    const err = document.getElementById("gen-error");
    err.textContent = "";
    for (const input of this.form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
    try {
      const job = await api("/api/jobs", { method: "POST", body: this.request() });
      this.update(job);
      setStatus(`job ${job.id} queued: ${job.total} loop${job.total > 1 ? "s" : ""}`);
    } catch (e) {
      err.textContent = e.message;
      for (const name of e.fields || []) { // the inputs the message names
        for (const input of this.form.querySelectorAll(`[name="${CSS.escape(name)}"]`)) {
          input.setAttribute("aria-invalid", "true");
        }
      }
    }
  }

  async load() {
    const { jobs } = await api("/api/jobs");
    for (const j of jobs.reverse()) this.update(j);
  }

  event(type, ev) {
    this.update(ev.job);
  }

  update(job) {
    const li = el("li", { dataset: { job: job.id, status: job.status } },
      el("div", { class: "head" },
        el("span", { class: `badge ${job.status}` }, job.status),
        el("b", { title: job.prompt }, job.prompt || "(no prompt)"),
        el("span", {}, `${job.done}/${job.total}${job.failed ? ` · ${job.failed} failed` : ""}`),
        ["queued", "running"].includes(job.status)
          ? el("button", { class: "ghost", onclick: () => this.cancel(job.id) }, "cancel") : ""),
      el("progress", { max: job.total, value: job.done + job.failed }),
      job.loop_ids.length ? el("div", { class: "row" }, job.loop_ids.map((id) =>
        el("button", { class: "ghost ab-btn", title: "play / stop", onclick: () => this.play(id) }, `▶ #${id}`))) : "",
      job.errors.length ? el("p", { class: "errs" }, job.errors.slice(-2).join(" · ")) : "");
    const old = this.jobs.get(job.id);
    if (old) old.replaceWith(li);
    else this.list.prepend(li);
    this.jobs.set(job.id, li);
    document.getElementById("no-jobs").hidden = true;
  }

  async cancel(id) {
    try {
      this.update(await api(`/api/jobs/${id}/cancel`, { method: "POST" }));
    } catch (e) {
      setStatus(e.message, true);
    }
  }
}
