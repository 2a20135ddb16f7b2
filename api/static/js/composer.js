/** The message box: its counter and height, blocking it while busy, submitting from it. */
import { els } from "./dom.js";
import { state } from "./state.js";

export const MAX_CHARS = 4000;
const COUNTER_FROM = 3500; // show the character counter from here on

export function composerState() {
  const length = els.composer.value.length;
  const trimmed = els.composer.value.trim().length;
  const over = length > MAX_CHARS;
  els.send.disabled = state.busy || state.loading || trimmed === 0 || over;
  if (length >= COUNTER_FROM) {
    els.counter.hidden = false;
    els.counter.textContent = `${length.toLocaleString()} / ${MAX_CHARS.toLocaleString()}`;
    els.counter.classList.toggle("is-over", over);
    els.counter.title = over ? `Shorten the message by ${length - MAX_CHARS} characters to send it.` : `${MAX_CHARS - length} characters left`;
  } else {
    els.counter.hidden = true;
    els.counter.textContent = "";
  }
  els.composer.setAttribute("aria-invalid", String(over));
}

export function autoGrow() {
  const input = els.composer;
  const max = Math.max(120, Math.round(window.innerHeight * 0.4));
  input.style.height = "auto";
  const height = Math.min(input.scrollHeight + 2, max);
  input.style.height = `${height}px`;
  input.style.overflowY = input.scrollHeight + 2 > max ? "auto" : "hidden";
}

/** Blocks the composer while answering or loading; gives focus back to it afterwards. */
export function applyBlocked() {
  const blocked = state.busy || state.loading;
  const active = document.activeElement;
  if (blocked && !state.blocked) {
    state.refocus =
      !active ||
      active === document.body ||
      active === els.composer ||
      active === els.send ||
      els.starters.contains(active) ||
      active.classList.contains("retry-btn");
  }
  const unblocked = !blocked && state.blocked;
  state.blocked = blocked;
  els.form.classList.toggle("is-busy", state.busy);
  els.form.setAttribute("aria-busy", String(state.busy));
  els.composer.disabled = blocked;
  els.composer.placeholder = state.busy ? "Career Coach is answering…" : "Message #career-coach";
  for (const starter of els.starters.querySelectorAll("[data-testid='starter']")) starter.disabled = blocked;
  for (const retry of els.log.querySelectorAll(".retry-btn")) {
    retry.disabled = blocked || Boolean(retry.dataset.waitUntil);
  }
  composerState();
  if (unblocked && state.refocus) {
    const now = document.activeElement;
    if (!now || now === document.body) els.composer.focus({ preventScroll: true });
    state.refocus = false;
  }
}

export function setBusy(busy) {
  state.busy = busy;
  applyBlocked();
}

export function setLoading(loading) {
  state.loading = loading;
  applyBlocked();
}

export function setTyping(on) {
  els.typing.hidden = !on;
}

/** Enter (without Shift) or the Send button hands the text to `send`; the box empties once it is taken. */
export function bindComposer({ send }) {
  const submit = () => {
    if (send(els.composer.value)) {
      els.composer.value = "";
      autoGrow();
      composerState();
    }
  };
  els.form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  els.composer.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.shiftKey || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.isComposing || event.keyCode === 229) return; // IME is composing
    event.preventDefault();
    submit();
  });
  els.composer.addEventListener("input", () => {
    autoGrow();
    composerState();
  });
  window.addEventListener("resize", autoGrow);
}
