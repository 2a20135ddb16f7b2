/** The intro's starter questions and the copy that names the coach, from GET /api/library. */
import { request } from "./api.js";
import { els, h } from "./dom.js";
import { applyBlocked } from "./composer.js";
import { state } from "./state.js";

export function updateStarters() {
  const none = !els.startersList.querySelector("[data-testid='starter']");
  els.starters.hidden = none || state.messages.length > 0 || state.loading;
}

/** The channel topic, welcome text and starter questions, from the guides the coach holds. */
export async function loadLibrary() {
  let library;
  try {
    library = await request("GET", "/api/library");
  } catch {
    return; // the neutral copy of the page stays; answers still work
  }
  if (!library || typeof library !== "object") return;
  if (typeof library.name === "string" && library.name) {
    state.coachName = library.name;
    els.typing.querySelector("strong").textContent = state.coachName;
  }
  if (typeof library.channel_topic === "string") els.channelTopic.textContent = library.channel_topic;
  if (typeof library.welcome === "string") els.introText.textContent = library.welcome;
  const questions = Array.isArray(library.starters) ? library.starters.filter((q) => typeof q === "string") : [];
  els.startersList.replaceChildren(
    ...questions.map((question) =>
      h("li", {}, h("button", { type: "button", class: "starter", "data-testid": "starter" }, question)),
    ),
  );
  applyBlocked();
  updateStarters();
}

/** A starter question is asked as it is written. */
export function bindStarters({ send }) {
  els.starters.addEventListener("click", (event) => {
    const starter = event.target.closest("[data-testid='starter']");
    if (starter) send(starter.textContent);
  });
}
