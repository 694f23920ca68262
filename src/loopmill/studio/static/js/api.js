// Talking to the studio server: the token header on every call, JSON in and out,
// and the event stream read from fetch (EventSource cannot send a header).

const TOKEN_KEY = "loopmill-token";

function takeToken() {
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get("token");
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    params.delete("token");
    const rest = params.toString();
    history.replaceState(null, "", location.pathname + (rest ? "?" + rest : "") + location.hash);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

const token = takeToken();

export function headers(extra = {}) {
  return token ? { "X-Loopmill-Token": token, ...extra } : { ...extra };
}

export class ApiError extends Error {
  constructor(status, detail, fields = []) {
    super(detail);
    this.status = status;
    this.fields = fields; // the request fields the message names, e.g. ["bpm"]
  }
}

function message(detail) {
  if (Array.isArray(detail)) { // pydantic's list of field errors
    return detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
  }
  return String(detail);
}

export async function api(path, { method = "GET", body, raw = false } = {}) {
  const init = { method, headers: headers() };
  if (body !== undefined) {
    if (body instanceof Blob || body instanceof ArrayBuffer) {
      init.body = body;
      init.headers["Content-Type"] = "application/octet-stream";
    } else {
      init.body = JSON.stringify(body);
      init.headers["Content-Type"] = "application/json";
    }
  }
  const resp = await fetch(path, init);
  if (!resp.ok) {
    let detail = resp.statusText;
    let fields = [];
    try {
      const body = await resp.json();
      detail = message(body.detail);
      fields = Array.isArray(body.fields) ? body.fields : [];
    } catch { /* not JSON */ }
    throw new ApiError(resp.status, detail, fields);
  }
  return raw ? resp : resp.json();
}

// A link that carries the token cannot be made (it is a header): downloads go
// through fetch and a blob URL instead.
export async function download(path, filename) {
  const resp = await api(path, { raw: true });
  const url = URL.createObjectURL(await resp.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// Server-Sent Events over fetch; reconnects with Last-Event-ID.
export function subscribe(onEvent, onState = () => {}) {
  let last = 0;
  let stopped = false;
  const ctrl = new AbortController();
  async function run() {
    while (!stopped) {
      try {
        const resp = await fetch(`/api/events?after=${last}`,
          { headers: headers({ "Last-Event-ID": String(last) }), signal: ctrl.signal });
        if (!resp.ok) throw new Error(resp.statusText);
        onState(true);
        const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let cut;
          while ((cut = buf.indexOf("\n\n")) >= 0) {
            const block = buf.slice(0, cut);
            buf = buf.slice(cut + 2);
            const ev = { type: "message", data: "" };
            for (const line of block.split("\n")) {
              const i = line.indexOf(":");
              if (i <= 0) continue; // comments and blank lines
              const field = line.slice(0, i);
              const val = line.slice(i + 1).replace(/^ /, "");
              if (field === "id") last = Number(val);
              else if (field === "event") ev.type = val;
              else if (field === "data") ev.data += val;
            }
            if (ev.data) onEvent(ev.type, JSON.parse(ev.data));
          }
        }
      } catch (err) {
        if (stopped) return;
      }
      onState(false);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  run();
  return () => { stopped = true; ctrl.abort(); };
}
