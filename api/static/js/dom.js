/** Element building (text nodes only), the page's elements and the screen-reader announcer. */

const SVG_NS = "http://www.w3.org/2000/svg";

const $ = (id) => document.getElementById(id);

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") el.className = value;
      else el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child); // strings become text nodes
  }
  return el;
}

export function icon(name) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const use = document.createElementNS(SVG_NS, "use");
  use.setAttribute("href", `#i-${name}`);
  svg.append(use);
  return svg;
}

export const els = {
  app: $("app"),
  sidebar: $("sidebar"),
  sidebarClose: $("sidebar-close"),
  backdrop: $("sidebar-backdrop"),
  menu: $("menu-button"),
  newConversation: $("new-conversation"),
  channelItem: $("channel-item"),
  conversationList: $("conversation-list"),
  conversationEmpty: $("conversation-empty"),
  channel: $("channel"),
  embedClose: $("embed-close"),
  scroller: $("scroller"),
  intro: $("intro"),
  starters: $("starters"),
  startersList: $("starters-list"),
  channelTopic: $("channel-topic"),
  introText: $("intro-text"),
  historyStatus: $("history-status"),
  log: $("messages"),
  typing: $("typing"),
  form: $("composer-form"),
  composer: $("composer"),
  counter: $("composer-counter"),
  send: $("send"),
  panel: $("source-panel"),
  panelClose: $("source-close"),
  sourceNum: $("source-num"),
  sourceTitle: $("source-title"),
  sourceSection: $("source-section"),
  sourceFile: $("source-file"),
  sourceSnippet: $("source-snippet"),
};

const announcer = h("div", { class: "visually-hidden", role: "status", "aria-live": "polite" });
document.body.append(announcer);

export function announce(text) {
  announcer.textContent = "";
  window.setTimeout(() => {
    announcer.textContent = text;
  }, 50);
}
