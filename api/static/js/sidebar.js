/** The conversation list and, on narrow screens, opening and closing the sidebar. */
import { els, h, icon } from "./dom.js";
import { state } from "./state.js";
import { loadConversations } from "./storage.js";

export function renderSidebar() {
  const list = loadConversations().sort((a, b) => b.updatedAt - a.updatedAt);
  const rows = list.map((c) => {
    const active = c.id === state.sessionId;
    const open = h(
      "button",
      {
        type: "button",
        class: "conversation",
        "data-testid": "conversation",
        "data-session-id": c.id,
        "aria-current": active ? "true" : null,
        title: c.title,
      },
      icon("thread"),
      h("span", null, c.title),
    );
    const remove = h(
      "button",
      {
        type: "button",
        class: "conversation-delete",
        "data-testid": "delete-conversation",
        "aria-label": `Delete conversation: ${c.title}`,
        title: "Delete conversation",
      },
      icon("trash"),
    );
    return h("li", { class: "conversation-row" }, open, remove);
  });
  els.conversationList.replaceChildren(...rows);
  els.conversationEmpty.hidden = rows.length > 0;
  els.channelItem.classList.toggle("is-active", !state.sessionId);
}

export const narrow = window.matchMedia("(max-width: 640px)");

function openNav() {
  els.app.classList.add("is-nav-open");
  els.menu.setAttribute("aria-expanded", "true");
  els.backdrop.hidden = false;
  els.channel.inert = true;
  els.newConversation.focus();
}

export function closeNav(restoreFocus) {
  if (!els.app.classList.contains("is-nav-open")) return;
  els.app.classList.remove("is-nav-open");
  els.menu.setAttribute("aria-expanded", "false");
  els.backdrop.hidden = true;
  els.channel.inert = false;
  if (restoreFocus) els.menu.focus();
}

/**
 * The sidebar's controls. The conversation flow supplies the actions: `open(id)`,
 * `remove(id, row, button)` and `startNew()`.
 */
export function bindSidebar({ open, remove, startNew }) {
  els.conversationList.addEventListener("click", (event) => {
    const row = event.target.closest(".conversation-row");
    if (!row) return;
    const id = row.querySelector("[data-testid='conversation']").getAttribute("data-session-id");
    const deleteButton = event.target.closest("[data-testid='delete-conversation']");
    if (deleteButton) {
      remove(id, row, deleteButton);
    } else if (event.target.closest("[data-testid='conversation']")) {
      closeNav(false);
      if (id !== state.sessionId || state.loading) open(id);
      else els.composer.focus();
    }
  });
  els.newConversation.addEventListener("click", () => {
    closeNav(false);
    startNew();
  });
  els.menu.addEventListener("click", openNav);
  els.sidebarClose.addEventListener("click", () => closeNav(true));
  els.backdrop.addEventListener("click", () => closeNav(true));
  narrow.addEventListener("change", () => closeNav(false));
}
