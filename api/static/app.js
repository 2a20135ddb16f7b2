/*
 * Career Coach chat: a Slack-style #career-coach channel in plain JavaScript modules, no build.
 *
 * Talks to the coach's HTTP API (POST /api/chat/stream as Server-Sent Events, falling back to
 * POST /api/chat), keeps the user's conversations in localStorage and renders answers with their
 * citations. Security rule: user text and guide text are only ever inserted as text nodes; the
 * single exception is the server's already-sanitized `answer_html`, which is parsed inertly and
 * re-filtered against an allowlist before it reaches the page (js/sanitizer.js).
 *
 * This entry only wires the modules under js/ together and starts the page.
 */
import { bindComposer, autoGrow, composerState } from "./js/composer.js";
import { config } from "./js/config.js";
import {
  deleteConversation,
  openConversation,
  openSourceLink,
  readSourceLink,
  retryAnswer,
  send,
  startNewConversation,
} from "./js/conversation.js";
import { els } from "./js/dom.js";
import { bindStarters, loadLibrary } from "./js/library.js";
import { bindLog } from "./js/messages.js";
import { followScroll } from "./js/scroll.js";
import { bindSidebar, closeNav, narrow, renderSidebar } from "./js/sidebar.js";
import { closeSource } from "./js/source-panel.js";
import { KEY_CONVERSATIONS, KEY_CURRENT, storage } from "./js/storage.js";

/** Messages to the embed launcher (widget.js) on the host page. */
function tellParent(type) {
  if (window.parent && window.parent !== window) window.parent.postMessage({ type }, "*");
}

function bind() {
  bindComposer({ send });
  bindStarters({ send });
  bindLog({ retry: retryAnswer });
  els.panelClose.addEventListener("click", () => closeSource(true));
  bindSidebar({
    open: (id) => openConversation(id, { focus: true }),
    remove: deleteConversation,
    startNew: startNewConversation,
  });

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || event.defaultPrevented) return;
    if (els.app.classList.contains("is-nav-open")) {
      event.preventDefault();
      closeNav(true);
    } else if (!els.panel.hidden) {
      event.preventDefault();
      closeSource(true);
    } else if (config.embed) {
      tellParent("career-coach:close");
    }
  });

  // Other tabs may add or delete conversations.
  window.addEventListener("storage", (event) => {
    if (event.key === KEY_CONVERSATIONS) renderSidebar();
  });

  if (config.embed) {
    document.documentElement.classList.add("is-embed");
    els.embedClose.hidden = false;
    els.embedClose.addEventListener("click", () => tellParent("career-coach:close"));
    window.addEventListener("message", (event) => {
      if (event.source !== window.parent || !event.data || typeof event.data !== "object") return;
      if (event.data.type === "career-coach:focus" && !els.composer.disabled) els.composer.focus();
    });
  }
}

function init() {
  followScroll();
  bind();
  renderSidebar();
  autoGrow();
  composerState();
  const link = readSourceLink();
  const current = storage.get(KEY_CURRENT);
  if (link) openSourceLink(link);
  else if (current) openConversation(current);
  else startNewConversation({ focus: !narrow.matches });
  loadLibrary();
}

init();
