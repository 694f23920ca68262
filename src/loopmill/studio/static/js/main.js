// The studio page: tabs, the transport bar, and the wiring between the views.

import { api, subscribe } from "./api.js";
import { Generate } from "./generate.js";
import { Library } from "./library.js";
import { Player, sourceUrl } from "./player.js";
import { clock, setStatus } from "./ui.js";
import { Waveform } from "./waveform.js";

const player = new Player();
const library = new Library(player);
const generate = new Generate((id) => library.togglePlay(id));
const studio = { player, library, generate, evolve: null };
window.studio = studio; // for the browser tests and the curious

function show(view) {
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("on", b.dataset.view === view);
  for (const s of document.querySelectorAll(".view")) s.hidden = s.id !== `view-${view}`;
  if (view === "evolve" && !studio.evolve) {
    import("./evolve.js").then((m) => { studio.evolve = new m.Evolve(player); });
  }
  if (location.hash !== `#${view}`) history.replaceState(null, "", `#${view}`);
}
for (const b of document.querySelectorAll("#tabs button")) b.onclick = () => show(b.dataset.view);

// transport
const playBtn = document.getElementById("t-play");
const tWave = new Waveform(document.getElementById("t-wave"));
let shownId = null;
playBtn.onclick = () => {
  if (player.current) player.stop();
  else if (library.selected != null) library.togglePlay(library.selected);
};
document.getElementById("t-ab").onclick = () => player.toggleAB().catch((e) => setStatus(e.message, true));
document.addEventListener("keydown", (e) => {
  if (e.code === "Space" && !["INPUT", "TEXTAREA", "SELECT", "BUTTON"].includes(e.target.tagName)) {
    e.preventDefault();
    playBtn.click();
  }
});
player.addEventListener("change", () => {
  playBtn.textContent = player.current ? "■" : "▶";
  document.getElementById("t-name").textContent = player.current ? player.current.entry.info.name : "nothing playing";
  for (const s of ["A", "B"]) document.getElementById(`slot-${s}`).classList.toggle("live", player.live === s);
  const p = player.pending;
  document.getElementById("t-pending").textContent = p ? `→ ${p.label} at bar ${p.bar}` : "";
  const id = player.current?.id ?? null;
  if (id !== shownId) {
    shownId = id;
    if (id == null) tWave.clear();
    else api(`${sourceUrl(id)}/peaks?bins=400`).then((pk) => { if (shownId === id) tWave.set(pk); });
  }
});

function frame() {
  const st = player.state();
  if (st) {
    document.getElementById("t-pos").textContent = `${clock(st.pos)} / ${clock(st.region.end)}  loop ${clock(st.region.start)}–${clock(st.region.end)}`;
    document.getElementById("t-wraps").textContent = st.wraps;
    tWave.draw(st.pos);
  } else {
    document.getElementById("t-pos").textContent = "";
  }
  library.tick();
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);

let refreshTimer = null;
subscribe((type, ev) => {
  if (type === "catalog") { // loops added or removed (another process, a job, a delete)
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => { library.refresh(); library.facets(); }, 300);
    return;
  }
  if (type === "job" || type === "item") generate.event(type, ev);
  else if (type === "evolve" && studio.evolve) studio.evolve.event(type, ev);
}, (up) => { studio.connected = up; });

async function start() {
  show((location.hash || "#library").slice(1));
  try {
    await Promise.all([library.facets(), library.refresh(), generate.load()]);
    document.body.dataset.ready = "1";
  } catch (e) {
    setStatus(e.message, true);
  }
}
start();
