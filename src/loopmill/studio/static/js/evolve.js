// The evolve view (filled in with the evolve session API).

export class Evolve {
  constructor(player) {
    this.player = player;
    document.getElementById("view-evolve").textContent = "Evolve sessions are not available yet.";
  }
}
