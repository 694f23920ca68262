// Waveforms on a canvas from the server's peaks: the loop region shaded, its edges
// marked, bar lines ticked, and a play head drawn over a cached image.

function css(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

export class Waveform {
  constructor(canvas) {
    this.canvas = canvas;
    this.image = null;
    this.peaks = null;
  }

  fit() {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(this.canvas.clientWidth * dpr));
    const h = Math.max(1, Math.round(this.canvas.clientHeight * dpr));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    return [w, h];
  }

  // peaks: {min, max, duration, loop_start_s, loop_end_s}; bpm and beats for bar ticks
  set(peaks, { bpm = null, beats = 4 } = {}) {
    this.peaks = peaks;
    const [w, h] = this.fit();
    const off = document.createElement("canvas");
    off.width = w;
    off.height = h;
    const g = off.getContext("2d");
    const dur = peaks.duration || 1;
    const x = (s) => (s / dur) * w;
    const a = x(peaks.loop_start_s), b = x(peaks.loop_end_s);
    g.fillStyle = css("--region") || "rgba(79,195,161,.14)";
    g.fillRect(a, 0, b - a, h);
    if (bpm) {
      g.strokeStyle = "rgba(255,255,255,.07)";
      const bar = (60 / bpm) * beats;
      for (let t = peaks.loop_start_s; t < peaks.loop_end_s; t += bar) {
        g.beginPath(); g.moveTo(Math.round(x(t)) + .5, 0); g.lineTo(Math.round(x(t)) + .5, h); g.stroke();
      }
    }
    const n = peaks.max.length;
    const mid = h / 2;
    g.fillStyle = css("--accent") || "#4fc3a1";
    for (let i = 0; i < n; i++) {
      const px = (i / n) * w;
      const top = mid - peaks.max[i] * mid * 0.95;
      const bot = mid - peaks.min[i] * mid * 0.95;
      g.fillRect(px, top, Math.max(1, w / n - 0.3), Math.max(1, bot - top));
    }
    g.fillStyle = css("--accent2") || "#f0b84c";
    g.fillRect(Math.max(0, a - 1), 0, 2, h);
    g.fillRect(Math.min(w - 2, b - 1), 0, 2, h);
    this.image = off;
    this.draw(null);
  }

  clear() {
    this.image = null;
    this.peaks = null;
    const [w, h] = this.fit();
    this.canvas.getContext("2d").clearRect(0, 0, w, h);
  }

  draw(pos) {
    const [w, h] = this.fit();
    const g = this.canvas.getContext("2d");
    g.clearRect(0, 0, w, h);
    if (this.image) g.drawImage(this.image, 0, 0, w, h);
    if (pos != null && this.peaks) {
      const px = (pos / (this.peaks.duration || 1)) * w;
      g.fillStyle = "#ffffff";
      g.fillRect(Math.round(px), 0, 2, h);
    }
  }
}
