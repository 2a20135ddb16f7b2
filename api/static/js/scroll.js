/** Keeps the reader at the bottom of the log while they are there. */
import { els } from "./dom.js";

const nearBottom = () => els.scroller.scrollHeight - els.scroller.scrollTop - els.scroller.clientHeight < 120;
let pinned = true; // the reader is at the bottom: keep them there as content grows or reflows

export function scrollToBottom() {
  els.scroller.scrollTop = els.scroller.scrollHeight;
  pinned = true;
}

export function keepPinned(mutate) {
  const stay = pinned || nearBottom();
  mutate();
  if (stay) scrollToBottom();
}

/** Tracks whether the reader is at the bottom, and keeps them there as the log reflows. */
export function followScroll() {
  els.scroller.addEventListener("scroll", () => {
    pinned = nearBottom();
  }, { passive: true });
  if ("ResizeObserver" in window) {
    const observer = new ResizeObserver(() => {
      if (pinned) els.scroller.scrollTop = els.scroller.scrollHeight;
    });
    observer.observe(els.scroller);
    observer.observe(els.scroller.firstElementChild);
  }
}
