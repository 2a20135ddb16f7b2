/** The side panel showing one cited passage. */
import { pageLabel } from "./cite-label.js";
import { els } from "./dom.js";
import { state } from "./state.js";


export function markActiveCitation() {
  for (const chip of els.log.querySelectorAll(".citation-chip[aria-expanded='true']")) {
    chip.setAttribute("aria-expanded", "false");
  }
  for (const link of els.log.querySelectorAll("a.cite.is-active")) link.classList.remove("is-active");
  const { model, citeId } = state.panel;
  if (!model || els.panel.hidden || !model.el) return;
  for (const chip of model.el.querySelectorAll(".citation-chip")) {
    if (chip.getAttribute("data-cite") === citeId) chip.setAttribute("aria-expanded", "true");
  }
  for (const link of model.el.querySelectorAll("a.cite")) {
    if (link.getAttribute("data-cite") === citeId) link.classList.add("is-active");
  }
}

export function openSource(model, citeId, opener) {
  const cite = model.citations.find((c) => c.id === String(citeId));
  if (!cite) return;
  state.panel = { model, citeId: cite.id, opener: opener || null };
  els.sourceNum.textContent = `[${cite.id}]`;
  els.sourceTitle.textContent = cite.title || cite.source || "Untitled guide";
  els.sourceSection.textContent = (cite.section || "—") + pageLabel(cite);
  els.sourceFile.textContent = cite.source || "—";
  els.sourceSnippet.textContent = cite.snippet || "The guide's passage is not available.";
  els.panel.hidden = false;
  els.panel.querySelector(".source-panel__body").scrollTop = 0;
  markActiveCitation();
  els.panel.focus({ preventScroll: true });
}

export function closeSource(restoreFocus) {
  if (els.panel.hidden) return;
  const { opener } = state.panel;
  els.panel.hidden = true;
  markActiveCitation();
  state.panel = { model: null, citeId: null, opener: null };
  if (restoreFocus) {
    if (opener && opener.isConnected) opener.focus();
    else if (!els.composer.disabled) els.composer.focus();
  }
}
