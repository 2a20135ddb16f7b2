/** localStorage (or memory, where it is blocked): the current session and the conversation list. */
import { config } from "./config.js";

const TITLE_MAX = 48;
const MAX_CONVERSATIONS = 50;

export const storage = (() => {
  const memory = new Map(); // when localStorage is blocked (private mode, third-party iframe)
  return {
    get(key) {
      try {
        return window.localStorage.getItem(key);
      } catch {
        return memory.has(key) ? memory.get(key) : null;
      }
    },
    set(key, value) {
      try {
        window.localStorage.setItem(key, value);
      } catch {
        memory.set(key, value);
      }
    },
    remove(key) {
      try {
        window.localStorage.removeItem(key);
      } catch {
        memory.delete(key);
      }
    },
  };
})();

export const KEY_CURRENT = `${config.storagePrefix}.currentSession`;
export const KEY_CONVERSATIONS = `${config.storagePrefix}.conversations`;

export function loadConversations() {
  try {
    const list = JSON.parse(storage.get(KEY_CONVERSATIONS) || "[]");
    if (!Array.isArray(list)) return [];
    return list
      .filter((c) => c && typeof c.id === "string" && c.id)
      .map((c) => ({ id: c.id, title: String(c.title || "Conversation"), updatedAt: Number(c.updatedAt) || 0 }));
  } catch {
    return [];
  }
}

function saveConversations(list) {
  const sorted = list.slice().sort((a, b) => b.updatedAt - a.updatedAt).slice(0, MAX_CONVERSATIONS);
  storage.set(KEY_CONVERSATIONS, JSON.stringify(sorted));
}

export function upsertConversation(id, title, { touch = true, overwriteTitle = false } = {}) {
  const list = loadConversations();
  const found = list.find((c) => c.id === id);
  if (found) {
    if (overwriteTitle && title) found.title = title;
    if (touch) found.updatedAt = Date.now();
  } else {
    list.push({ id, title: title || "Conversation", updatedAt: Date.now() });
  }
  saveConversations(list);
}

export function removeConversation(id) {
  saveConversations(loadConversations().filter((c) => c.id !== id));
  if (storage.get(KEY_CURRENT) === id) storage.remove(KEY_CURRENT);
}

export function titleFrom(text) {
  const flat = String(text).replace(/\s+/g, " ").trim();
  return flat.length > TITLE_MAX ? `${flat.slice(0, TITLE_MAX - 1).trimEnd()}…` : flat;
}
