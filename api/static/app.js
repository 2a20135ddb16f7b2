/*
 * Career Coach chat: a Slack-style #career-coach channel in plain JavaScript.
 *
 * Talks to the coach's HTTP API (POST /api/chat/stream as Server-Sent Events, falling back to
 * POST /api/chat), keeps the user's conversations in localStorage and renders answers with their
 * citations. Security rule: user text and guide text are only ever inserted as text nodes; the
 * single exception is the server's already-sanitized `answer_html`, which is parsed inertly and
 * re-filtered against an allowlist before it reaches the page.
 */
(() => {
  "use strict";

  const MAX_CHARS = 4000;
  const COUNTER_FROM = 3500; // show the character counter from here on
  const GROUP_WINDOW_MS = 5 * 60 * 1000; // Slack groups consecutive messages within a few minutes
  const TITLE_MAX = 48;
  const MAX_CONVERSATIONS = 50;
  const SVG_NS = "http://www.w3.org/2000/svg";
  let coachName = "Career Coach"; // the server's COACH_NAME, from GET /api/library

  /* ------------------------------------------------------------------ configuration */

  function readConfig() {
    const cfg = window.COACH_CONFIG && typeof window.COACH_CONFIG === "object" ? window.COACH_CONFIG : {};
    const script = document.currentScript;
    const attr = (name) => (script && script.getAttribute(name)) || null;
    // The embed launcher passes its settings in the URL fragment (never sent to any server).
    const fragment = new URLSearchParams(location.hash.replace(/^#/, ""));
    const userName = typeof cfg.userName === "string" && cfg.userName.trim() ? cfg.userName.trim() : "You";
    return {
      baseUrl: String(cfg.baseUrl || attr("data-base-url") || "").replace(/\/+$/, ""),
      apiKey: fragment.get("api_key") || cfg.apiKey || attr("data-api-key") || null,
      embed: fragment.get("embed") === "1" || cfg.embed === true,
      stream: cfg.stream !== false,
      userName,
      storagePrefix: String(cfg.storagePrefix || "careerCoach"),
    };
  }

  const config = readConfig();

  /* ------------------------------------------------------------------ storage */

  const storage = (() => {
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

  const KEY_CURRENT = `${config.storagePrefix}.currentSession`;
  const KEY_CONVERSATIONS = `${config.storagePrefix}.conversations`;

  function loadConversations() {
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

  function upsertConversation(id, title, { touch = true, overwriteTitle = false } = {}) {
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

  function removeConversation(id) {
    saveConversations(loadConversations().filter((c) => c.id !== id));
    if (storage.get(KEY_CURRENT) === id) storage.remove(KEY_CURRENT);
  }

  function titleFrom(text) {
    const flat = String(text).replace(/\s+/g, " ").trim();
    return flat.length > TITLE_MAX ? `${flat.slice(0, TITLE_MAX - 1).trimEnd()}…` : flat;
  }

  /* ------------------------------------------------------------------ HTTP API */

  class ApiError extends Error {
    constructor(message, { status = 0, code = "error", retryAfter = null, contract = false } = {}) {
      super(message);
      this.name = "ApiError";
      this.status = status;
      this.code = code;
      this.retryAfter = retryAfter;
      this.contract = contract; // the body followed {"error": {...}}
    }
  }

  const isAbort = (err) => Boolean(err) && err.name === "AbortError";

  function headers(extra) {
    const h = { ...extra };
    if (config.apiKey) h.Authorization = `Bearer ${config.apiKey}`;
    return h;
  }

  function networkError(err) {
    if (isAbort(err)) return err;
    return new ApiError("Couldn't reach Career Coach. Check your connection, then try again.", { code: "network" });
  }

  function parseRetryAfter(value) {
    if (!value) return null;
    const seconds = Number(value);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
    const date = Date.parse(value);
    return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
  }

  function defaultHttpMessage(status) {
    if (status === 401 || status === 403) return "Career Coach turned the request down: the API key is missing or wrong.";
    if (status === 413) return "That message is too long for Career Coach.";
    if (status === 429) return "Career Coach is getting too many questions right now.";
    if (status >= 500) return `Career Coach hit a problem on its side (HTTP ${status}).`;
    return `The request failed (HTTP ${status}).`;
  }

  async function errorFromResponse(res) {
    let code = `http_${res.status}`;
    let message = null;
    let contract = false;
    try {
      const body = await res.json();
      if (body && body.error && typeof body.error === "object") {
        contract = true;
        if (typeof body.error.code === "string") code = body.error.code;
        if (typeof body.error.message === "string" && body.error.message) message = body.error.message;
      } else if (body && typeof body.detail === "string") {
        message = body.detail;
      }
    } catch {
      /* not JSON: keep the generic message */
    }
    return new ApiError(message || defaultHttpMessage(res.status), {
      status: res.status,
      code,
      contract,
      retryAfter: parseRetryAfter(res.headers.get("Retry-After")),
    });
  }

  async function request(method, path, body, signal) {
    const init = { method, headers: headers({ Accept: "application/json" }), cache: "no-store", signal };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(config.baseUrl + path, init);
    } catch (err) {
      throw networkError(err);
    }
    if (!res.ok) throw await errorFromResponse(res);
    if (res.status === 204) return null;
    const text = await res.text();
    if (!text) return null;
    try {
      return JSON.parse(text);
    } catch {
      throw new ApiError("Career Coach sent a reply this page couldn't read.", { status: res.status, code: "bad_response" });
    }
  }

  /**
   * A Server-Sent Events parser (WHATWG rules): lines end in CRLF, LF or CR; a blank line
   * dispatches; lines starting with ":" are comments; `data` lines join with "\n".
   */
  function createSseParser(dispatch) {
    let buffer = "";
    let data = [];
    let eventName = "";
    let atStart = true;

    function line(text) {
      if (text === "") {
        if (data.length) dispatch({ event: eventName || "message", data: data.join("\n") });
        data = [];
        eventName = "";
        return;
      }
      if (text[0] === ":") return;
      const colon = text.indexOf(":");
      const field = colon === -1 ? text : text.slice(0, colon);
      let value = colon === -1 ? "" : text.slice(colon + 1);
      if (value[0] === " ") value = value.slice(1);
      if (field === "data") data.push(value);
      else if (field === "event") eventName = value;
      // `id` and `retry` do not matter for a one-shot POST stream.
    }

    return {
      push(chunk) {
        if (atStart && chunk) {
          chunk = chunk.replace(/^\uFEFF/, "");
          atStart = false;
        }
        buffer += chunk;
        let start = 0;
        for (let i = 0; i < buffer.length; i += 1) {
          const ch = buffer[i];
          if (ch !== "\n" && ch !== "\r") continue;
          if (ch === "\r" && i + 1 === buffer.length) break; // maybe CRLF split across chunks
          line(buffer.slice(start, i));
          if (ch === "\r" && buffer[i + 1] === "\n") i += 1;
          start = i + 1;
        }
        buffer = buffer.slice(start);
      },
      end() {
        // Lenient: dispatch a last event even if the server did not close it with a blank line.
        if (buffer) line(buffer.replace(/\r$/, ""));
        buffer = "";
        line("");
      },
    };
  }

  let streamAvailable = config.stream;

  async function chatOnce(body, on, signal) {
    const answer = await request("POST", "/api/chat", body, signal);
    if (!answer || typeof answer !== "object") {
      throw new ApiError("Career Coach sent an empty reply.", { code: "bad_response" });
    }
    on.done(answer);
  }

  function parseJson(text) {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  }

  /** POST a question and report the answer as it streams: on.session, on.delta, on.citations, on.done. */
  async function chat(body, on, signal) {
    if (!streamAvailable) return chatOnce(body, on, signal);
    let res;
    try {
      res = await fetch(`${config.baseUrl}/api/chat/stream`, {
        method: "POST",
        headers: headers({ "Content-Type": "application/json", Accept: "text/event-stream" }),
        body: JSON.stringify(body),
        cache: "no-store",
        signal,
      });
    } catch (err) {
      throw networkError(err);
    }
    if (!res.ok) {
      const err = await errorFromResponse(res);
      if ((res.status === 404 || res.status === 405) && !err.contract) {
        streamAvailable = false; // no streaming route on this server
        return chatOnce(body, on, signal);
      }
      throw err;
    }
    const type = res.headers.get("Content-Type") || "";
    if (!type.includes("text/event-stream")) {
      const answer = parseJson(await res.text());
      if (!answer || typeof answer !== "object") {
        throw new ApiError("Career Coach sent a reply this page couldn't read.", { code: "bad_response" });
      }
      on.done(answer);
      return undefined;
    }

    let finished = false;
    let failure = null;
    const parser = createSseParser((evt) => {
      if (finished) return;
      const data = parseJson(evt.data);
      switch (evt.event) {
        case "session":
          if (data && data.session_id) on.session(String(data.session_id));
          break;
        case "delta":
          if (data && typeof data.text === "string") on.delta(data.text);
          break;
        case "reset":
          if (on.reset) on.reset();
          break;
        case "citations":
          if (data && Array.isArray(data.citations)) on.citations(data.citations);
          break;
        case "done":
          finished = true;
          if (data && typeof data === "object") on.done(data);
          else failure = new ApiError("Career Coach sent an answer this page couldn't read.", { code: "bad_response" });
          break;
        case "error": {
          finished = true;
          const e = (data && (data.error || data)) || {};
          failure = new ApiError(
            typeof e.message === "string" && e.message ? e.message : "Career Coach couldn't finish this answer.",
            { code: typeof e.code === "string" ? e.code : "stream_error", contract: true },
          );
          break;
        }
        default:
          break; // unknown events are ignored
      }
    });

    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    try {
      while (!finished) {
        let chunk;
        try {
          chunk = await reader.read();
        } catch (err) {
          if (isAbort(err)) throw err;
          throw new ApiError("The connection dropped before the answer finished.", { code: "network" });
        }
        if (chunk.done) {
          parser.push(decoder.decode());
          parser.end();
          break;
        }
        parser.push(decoder.decode(chunk.value, { stream: true }));
      }
    } finally {
      if (finished) reader.cancel().catch(() => {});
    }
    if (failure) throw failure;
    if (!finished) throw new ApiError("The answer stopped before it finished.", { code: "incomplete" });
    return undefined;
  }

  /* ------------------------------------------------------------------ DOM helpers */

  const $ = (id) => document.getElementById(id);

  function h(tag, attrs, ...children) {
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

  function icon(name) {
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const use = document.createElementNS(SVG_NS, "use");
    use.setAttribute("href", `#i-${name}`);
    svg.append(use);
    return svg;
  }

  /* ------------------------------------------------------------------ answer rendering */

  // Defence in depth: answer_html is sanitized by the server; it is still parsed inertly
  // (DOMParser runs no scripts and loads no images) and rebuilt from an allowlist.
  const ALLOWED_TAGS = new Set([
    "a", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "kbd", "li", "mark", "ol", "p", "pre", "s", "small", "span",
    "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
  ]);
  const DROPPED_TAGS = new Set([
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "template",
    "noscript", "svg", "math", "form", "input", "button", "select", "option", "textarea", "link",
    "meta", "base", "img", "picture", "video", "audio", "source", "track", "canvas", "title", "head",
  ]);

  function safeHref(value) {
    const v = value.trim();
    if (/^#cite-\d+$/.test(v)) return v;
    if (/^https?:\/\//i.test(v) || /^mailto:/i.test(v)) return v;
    return null;
  }

  function copySanitized(source, target, depth) {
    if (depth > 32) return;
    for (const node of source.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) {
        target.append(document.createTextNode(node.data));
        continue;
      }
      if (node.nodeType !== Node.ELEMENT_NODE) continue;
      const tag = node.localName;
      if (node.namespaceURI !== "http://www.w3.org/1999/xhtml" || DROPPED_TAGS.has(tag)) continue;
      if (!ALLOWED_TAGS.has(tag)) {
        copySanitized(node, target, depth + 1); // unknown wrapper: keep its text
        continue;
      }
      const el = document.createElement(tag);
      if (tag === "a") {
        const href = safeHref(node.getAttribute("href") || "");
        if (href) el.setAttribute("href", href);
        const cite = node.getAttribute("data-cite") || (href && href.startsWith("#cite-") ? href.slice(6) : null);
        if (node.classList.contains("cite") && cite && /^\d+$/.test(cite)) {
          el.className = "cite";
          el.setAttribute("data-cite", cite);
          el.setAttribute("href", `#cite-${cite}`);
        } else if (href && !href.startsWith("#")) {
          el.setAttribute("target", "_blank");
          el.setAttribute("rel", "noopener noreferrer nofollow");
        }
      } else if (tag === "code") {
        const lang = Array.from(node.classList).find((c) => /^language-[\w-]+$/.test(c));
        if (lang) el.className = lang;
      } else if (tag === "ol") {
        const start = node.getAttribute("start");
        if (start && /^\d+$/.test(start)) el.setAttribute("start", start);
      }
      const title = node.getAttribute("title");
      if (title && tag !== "a") el.setAttribute("title", title);
      copySanitized(node, el, depth + 1);
      target.append(el);
    }
  }

  function sanitizedFragment(html) {
    const doc = new DOMParser().parseFromString(String(html), "text/html");
    const fragment = document.createDocumentFragment();
    copySanitized(doc.body, fragment, 0);
    return fragment;
  }

  const LIST_ITEM = /^\s*(?:[-*•]|\d+[.)])\s+/;

  function appendInline(parent, text, citeIds) {
    const pattern = /\*\*([^*]+)\*\*|`([^`]+)`|\[(\d+)\]/g;
    let last = 0;
    let match;
    while ((match = pattern.exec(text))) {
      if (match.index > last) parent.append(text.slice(last, match.index));
      if (match[1] !== undefined) parent.append(h("strong", null, match[1]));
      else if (match[2] !== undefined) parent.append(h("code", null, match[2]));
      else if (citeIds.has(match[3])) {
        parent.append(h("a", { class: "cite", href: `#cite-${match[3]}`, "data-cite": match[3] }, `[${match[3]}]`));
      } else parent.append(match[0]);
      last = pattern.lastIndex;
    }
    if (last < text.length) parent.append(text.slice(last));
  }

  /** Renders the markdown-ish answer text as DOM nodes (used when answer_html is missing). */
  function textFragment(text, citations) {
    const citeIds = new Set(citations.map((c) => String(c.id)));
    const fragment = document.createDocumentFragment();
    const blocks = String(text || "").replace(/\r\n?/g, "\n").split(/\n{2,}/);
    for (const block of blocks) {
      let list = null;
      let paragraph = null;
      for (const raw of block.split("\n")) {
        if (!raw.trim()) continue;
        if (LIST_ITEM.test(raw)) {
          const ordered = /^\s*\d/.test(raw);
          if (!list || (list.localName === "ol") !== ordered) {
            list = h(ordered ? "ol" : "ul");
            fragment.append(list);
          }
          paragraph = null;
          const li = h("li");
          appendInline(li, raw.replace(LIST_ITEM, ""), citeIds);
          list.append(li);
          continue;
        }
        list = null;
        const heading = /^\s*#{1,6}\s+(.*)$/.exec(raw);
        if (heading) {
          const p = h("p");
          p.append(h("strong", null, heading[1]));
          fragment.append(p);
          paragraph = null;
          continue;
        }
        if (paragraph) paragraph.append(h("br"));
        else {
          paragraph = h("p");
          fragment.append(paragraph);
        }
        appendInline(paragraph, raw, citeIds);
      }
    }
    return fragment;
  }

  function normalizeCitations(list) {
    if (!Array.isArray(list)) return [];
    return list
      .filter((c) => c && typeof c === "object" && c.id !== undefined && c.id !== null)
      .map((c) => ({
        id: String(c.id),
        source: c.source ? String(c.source) : "",
        title: c.title ? String(c.title) : "",
        section: c.section ? String(c.section) : "",
        snippet: c.snippet ? String(c.snippet) : "",
        chunk_id: c.chunk_id ? String(c.chunk_id) : "",
      }));
  }

  /* ------------------------------------------------------------------ time formatting */

  const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
  const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "short" });
  const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: "long", month: "long", day: "numeric" });
  const dayYearFormat = new Intl.DateTimeFormat(undefined, { weekday: "long", month: "long", day: "numeric", year: "numeric" });

  function toDate(value) {
    const d = value instanceof Date ? value : new Date(value);
    return Number.isNaN(d.getTime()) ? new Date() : d;
  }

  const dayKey = (d) => `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;

  function dayLabel(d) {
    const today = new Date();
    const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
    if (dayKey(d) === dayKey(today)) return "Today";
    if (dayKey(d) === dayKey(yesterday)) return "Yesterday";
    return (d.getFullYear() === today.getFullYear() ? dayFormat : dayYearFormat).format(d);
  }

  function timeEl(date, cls) {
    return h("time", { class: cls, datetime: date.toISOString(), title: fullFormat.format(date) }, timeFormat.format(date));
  }

  /* ------------------------------------------------------------------ elements */

  const els = {
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

  function announce(text) {
    announcer.textContent = "";
    window.setTimeout(() => {
      announcer.textContent = text;
    }, 50);
  }

  /* ------------------------------------------------------------------ state */

  const state = {
    sessionId: null,
    messages: [], // message models, in display order
    busy: false, // a question is being answered
    loading: false, // a conversation's history is being fetched
    blocked: false, // the composer is disabled (busy or loading)
    refocus: false, // give the composer focus back once unblocked
    controller: null,
    generation: 0, // bumped whenever the shown conversation changes; stale replies are dropped
    panel: { model: null, citeId: null, opener: null },
  };
  const modelByElement = new WeakMap();
  let keySeq = 0;

  /* ------------------------------------------------------------------ scrolling */

  const nearBottom = () => els.scroller.scrollHeight - els.scroller.scrollTop - els.scroller.clientHeight < 120;
  let pinned = true; // the reader is at the bottom: keep them there as content grows or reflows

  function scrollToBottom() {
    els.scroller.scrollTop = els.scroller.scrollHeight;
    pinned = true;
  }

  function keepPinned(mutate) {
    const stay = pinned || nearBottom();
    mutate();
    if (stay) scrollToBottom();
  }

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

  /* ------------------------------------------------------------------ messages */

  function avatarFor(role) {
    if (role === "assistant") {
      const wrap = h("div", { class: "avatar avatar--coach", "aria-hidden": "true" });
      wrap.append(icon("coach"));
      return wrap;
    }
    const initials = config.userName
      .split(/\s+/)
      .filter(Boolean)
      .slice(0, 2)
      .map((part) => part[0].toUpperCase())
      .join("");
    return h("div", { class: "avatar avatar--user", "aria-hidden": "true" }, config.userName === "You" ? "Y" : initials);
  }

  function authorName(role) {
    return role === "assistant" ? coachName : config.userName;
  }

  /** Adds a message model to the conversation and renders it at the end of the log. */
  function addMessage(fields) {
    const model = {
      key: `m${(keySeq += 1)}`,
      role: "user",
      content: "",
      createdAt: new Date(),
      citations: [],
      refused: false,
      answerHtml: null,
      messageId: null,
      sessionId: null,
      feedback: null,
      mode: null,
      status: "done",
      error: null,
      question: null,
      el: null,
      divider: null,
      parts: {},
      ...fields,
    };
    model.createdAt = toDate(model.createdAt);
    const previous = state.messages[state.messages.length - 1] || null;
    state.messages.push(model);
    keepPinned(() => renderMessage(model, previous));
    updateStarters();
    return model;
  }

  function renderMessage(model, previous) {
    const newDay = !previous || dayKey(previous.createdAt) !== dayKey(model.createdAt);
    const continued =
      !newDay &&
      previous.role === model.role &&
      previous.status !== "error" &&
      model.createdAt - previous.createdAt < GROUP_WINDOW_MS;

    if (newDay) {
      model.divider = h("div", { class: "day-divider" }, h("span", null, dayLabel(model.createdAt)));
      els.log.append(model.divider);
    }

    const el = h("div", {
      class: `msg msg--${model.role}${continued ? " msg--continued" : ""}`,
      "data-testid": "message",
      "data-role": model.role,
      id: `msg-${model.key}`,
    });
    const gutter = h("div", { class: "msg__gutter" });
    const body = h("div", { class: "msg__body" });
    if (continued) {
      gutter.append(timeEl(model.createdAt, "msg__hover-time"));
      body.append(h("span", { class: "visually-hidden" }, `${authorName(model.role)}:`));
    } else {
      gutter.append(avatarFor(model.role));
      const meta = h("div", { class: "msg__meta" }, h("span", { class: "msg__author" }, authorName(model.role)));
      if (model.role === "assistant") meta.append(h("span", { class: "msg__badge", "aria-hidden": "true" }, "APP"));
      meta.append(timeEl(model.createdAt, "msg__time"));
      body.append(meta);
    }

    const text = h("div", {
      class: "msg__text",
      "data-testid": model.role === "assistant" ? "answer" : "user-text",
    });
    body.append(text);
    model.parts = { body, text };
    el.append(gutter, body);
    model.el = el;
    modelByElement.set(el, model);

    if (model.role === "user") {
      text.classList.add("msg__text--plain");
      text.textContent = model.content;
    } else if (model.status === "streaming") {
      text.classList.add("msg__text--streaming");
      model.parts.stream = document.createTextNode(model.content || "");
      text.append(model.parts.stream);
    } else {
      renderAnswerBody(model);
    }
    if (model.role === "assistant") renderAssistantExtras(model);
    els.log.append(el);
  }

  function clearDeltas(model) {
    keepPinned(() => {
      model.content = "";
      model.parts.stream.data = "";
    });
  }

  function appendDelta(model, piece) {
    keepPinned(() => {
      model.content += piece;
      model.parts.stream.appendData(piece);
    });
  }

  function renderAnswerBody(model) {
    const { text } = model.parts;
    text.classList.remove("msg__text--streaming", "msg__text--plain");
    const fragment = model.answerHtml ? sanitizedFragment(model.answerHtml) : textFragment(model.content, model.citations);
    text.replaceChildren(fragment);
    for (const link of text.querySelectorAll("a.cite")) {
      const cite = model.citations.find((c) => c.id === link.getAttribute("data-cite"));
      if (!cite) continue;
      link.setAttribute("aria-controls", "source-panel");
      link.setAttribute("title", [cite.title || cite.source, cite.section].filter(Boolean).join(" › "));
      link.setAttribute("aria-label", `Source ${cite.id}: ${cite.title || cite.source}`);
    }
  }

  function finishAnswer(model, answer) {
    keepPinned(() => {
      model.status = "done";
      model.content = typeof answer.answer === "string" ? answer.answer : model.content;
      model.answerHtml = typeof answer.answer_html === "string" && answer.answer_html ? answer.answer_html : null;
      if (Array.isArray(answer.citations)) model.citations = normalizeCitations(answer.citations);
      model.refused = answer.refused === true;
      model.messageId = answer.message_id ? String(answer.message_id) : null;
      model.sessionId = answer.session_id ? String(answer.session_id) : state.sessionId;
      model.mode = answer.mode ? String(answer.mode) : null;
      model.error = null;
      renderAnswerBody(model);
      renderAssistantExtras(model);
    });
  }

  function failAnswer(model, error) {
    keepPinned(() => {
      model.status = "error";
      model.error = error;
      const { text } = model.parts;
      text.classList.remove("msg__text--streaming");
      if (!model.content) text.hidden = true; // nothing arrived: only the error shows
      renderAssistantExtras(model);
    });
  }

  /** Refused label, citation chips, error box and feedback: everything around the text. */
  function renderAssistantExtras(model) {
    const { el } = model;
    const { body, text } = model.parts;
    if (!el || !body) return;
    for (const key of ["refused", "citations", "error", "actions"]) {
      if (model.parts[key]) model.parts[key].remove();
      model.parts[key] = null;
    }
    if (model.parts.countdown) window.clearInterval(model.parts.countdown);

    el.classList.toggle("msg--refused", model.refused);
    if (model.refused) el.setAttribute("data-refused", "true");
    else el.removeAttribute("data-refused");
    if (model.mode) el.setAttribute("data-mode", model.mode);
    el.classList.toggle("msg--error", model.status === "error");

    if (model.refused) {
      const label = h("div", { class: "msg__refused", "data-testid": "refused-label" }, icon("info"), "Outside the guides");
      body.insertBefore(label, text);
      model.parts.refused = label;
    }

    if (model.citations.length) {
      const list = h("ul", { class: "citations", "aria-label": "Sources" });
      for (const cite of model.citations) list.append(h("li", null, citationChip(model, cite)));
      body.append(list);
      model.parts.citations = list;
    }

    if (model.status === "error" && model.error) {
      body.append(errorBox(model));
    }

    if (model.status === "done" && model.messageId) {
      const actions = h("div", { class: "msg__actions", role: "group", "aria-label": "Was this answer helpful?" });
      const up = feedbackButton(model, "up");
      const down = feedbackButton(model, "down");
      const status = h("span", { class: "feedback-status", role: "status" });
      actions.append(up, down, status);
      model.parts.feedbackStatus = status;
      body.append(actions);
      model.parts.actions = actions;
    }

    if (state.panel.model === model) markActiveCitation();
  }

  function citationChip(model, cite) {
    const label = [cite.title || cite.source || "Guide", cite.section].filter(Boolean).join(" › ");
    const chip = h(
      "button",
      {
        type: "button",
        class: "citation-chip",
        "data-testid": "citation-chip",
        "data-cite": cite.id,
        "aria-controls": "source-panel",
        "aria-expanded": "false",
        title: `${label}${cite.source ? ` (${cite.source})` : ""}`,
      },
      h("span", { class: "citation-chip__num" }, `[${cite.id}]`),
      " ", // not rendered in the flex row, but keeps the accessible name "[1] Title › Section"
    );
    const text = h("span", { class: "citation-chip__label" }, cite.title || cite.source || "Guide");
    if (cite.section) text.append(h("span", { class: "citation-chip__section" }, ` › ${cite.section}`));
    chip.append(text);
    chip.addEventListener("click", () => {
      if (state.panel.model === model && state.panel.citeId === cite.id && !els.panel.hidden) closeSource(false);
      else openSource(model, cite.id, chip);
    });
    return chip;
  }

  function feedbackButton(model, rating) {
    const label = rating === "up" ? "Helpful" : "Not helpful";
    const button = h(
      "button",
      {
        type: "button",
        class: "feedback-btn",
        "data-testid": `feedback-${rating}`,
        "data-rating": rating,
        "aria-pressed": String(model.feedback === rating),
        "aria-label": label,
        title: label,
      },
      icon(rating === "up" ? "thumb-up" : "thumb-down"),
    );
    button.addEventListener("click", () => sendFeedback(model, rating));
    return button;
  }

  function errorBox(model) {
    const err = model.error;
    let message = err.message || "Something went wrong.";
    if (err.retryAfter) message += ` Try again in ${err.retryAfter} s.`;
    const retry = h("button", { type: "button", class: "retry-btn", "data-testid": "retry" }, icon("retry"), h("span", null, "Retry"));
    retry.disabled = state.busy || state.loading;
    retry.addEventListener("click", () => retryAnswer(model));
    const box = h(
      "div",
      { class: "msg__error", role: "alert", "data-testid": "message-error" },
      icon("warning"),
      h("span", { class: "msg__error-text" }, h("strong", null, "Couldn't get an answer. "), message),
      retry,
    );
    if (err.retryAfter) startCountdown(model, retry, err.retryAfter);
    model.parts.error = box;
    return box;
  }

  /** After a 429, Retry stays disabled until Retry-After has passed. */
  function startCountdown(model, button, seconds) {
    const until = Date.now() + seconds * 1000;
    const label = button.querySelector("span");
    button.dataset.waitUntil = String(until);
    const tick = (first) => {
      const left = Math.ceil((until - Date.now()) / 1000);
      if (left <= 0 || (!first && !button.isConnected)) {
        window.clearInterval(model.parts.countdown);
        delete button.dataset.waitUntil;
        label.textContent = "Retry";
        button.disabled = state.busy || state.loading;
        return;
      }
      label.textContent = `Retry in ${left}s`;
      button.disabled = true;
    };
    tick(true); // the button is not in the page yet
    model.parts.countdown = window.setInterval(tick, 1000);
  }

  function removeMessage(model) {
    if (model.parts.countdown) window.clearInterval(model.parts.countdown);
    if (state.panel.model === model) closeSource(false);
    model.el.remove();
    if (model.divider) model.divider.remove();
    state.messages = state.messages.filter((m) => m !== model);
  }

  /* ------------------------------------------------------------------ source panel */

  function markActiveCitation() {
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

  function openSource(model, citeId, opener) {
    const cite = model.citations.find((c) => c.id === String(citeId));
    if (!cite) return;
    state.panel = { model, citeId: cite.id, opener: opener || null };
    els.sourceNum.textContent = `[${cite.id}]`;
    els.sourceTitle.textContent = cite.title || cite.source || "Untitled guide";
    els.sourceSection.textContent = cite.section || "—";
    els.sourceFile.textContent = cite.source || "—";
    els.sourceSnippet.textContent = cite.snippet || "The guide's passage is not available.";
    els.panel.hidden = false;
    els.panel.querySelector(".source-panel__body").scrollTop = 0;
    markActiveCitation();
    els.panel.focus({ preventScroll: true });
  }

  function closeSource(restoreFocus) {
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

  /* ------------------------------------------------------------------ composer */

  function composerState() {
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

  function autoGrow() {
    const input = els.composer;
    const max = Math.max(120, Math.round(window.innerHeight * 0.4));
    input.style.height = "auto";
    const height = Math.min(input.scrollHeight + 2, max);
    input.style.height = `${height}px`;
    input.style.overflowY = input.scrollHeight + 2 > max ? "auto" : "hidden";
  }

  /** Blocks the composer while answering or loading; gives focus back to it afterwards. */
  function applyBlocked() {
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

  function setBusy(busy) {
    state.busy = busy;
    applyBlocked();
  }

  function setLoading(loading) {
    state.loading = loading;
    applyBlocked();
  }

  function setTyping(on) {
    els.typing.hidden = !on;
  }

  function updateStarters() {
    const none = !els.startersList.querySelector("[data-testid='starter']");
    els.starters.hidden = none || state.messages.length > 0 || state.loading;
  }

  /** The channel topic, welcome text and starter questions, from the guides the coach holds. */
  async function loadLibrary() {
    let library;
    try {
      library = await request("GET", "/api/library");
    } catch {
      return; // the neutral copy of the page stays; answers still work
    }
    if (!library || typeof library !== "object") return;
    if (typeof library.name === "string" && library.name) {
      coachName = library.name;
      els.typing.querySelector("strong").textContent = coachName;
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

  function submitComposer() {
    if (send(els.composer.value)) {
      els.composer.value = "";
      autoGrow();
      composerState();
    }
  }

  /* ------------------------------------------------------------------ conversation flow */

  function adoptSession(id, question) {
    if (!id) return;
    if (state.sessionId !== id) {
      state.sessionId = id;
      storage.set(KEY_CURRENT, id);
      upsertConversation(id, titleFrom(question));
    } else {
      upsertConversation(id, null);
    }
    renderSidebar();
  }

  function send(raw) {
    const text = String(raw || "").trim();
    if (!text || text.length > MAX_CHARS || state.busy || state.loading) return false;
    const user = addMessage({ role: "user", content: text, createdAt: new Date() });
    scrollToBottom();
    if (state.sessionId) {
      upsertConversation(state.sessionId, null);
      renderSidebar();
    }
    runTurn(text, user);
    return true;
  }

  async function runTurn(question, userModel) {
    const generation = state.generation;
    const current = () => generation === state.generation;
    const controller = new AbortController();
    state.controller = controller;
    let reply = null;
    const ensureReply = () => {
      if (!reply) {
        reply = addMessage({ role: "assistant", status: "streaming", question, replyTo: userModel, createdAt: new Date() });
      }
      return reply;
    };

    setBusy(true);
    setTyping(true);
    els.log.setAttribute("aria-busy", "true");
    try {
      await chat(
        { message: question, session_id: state.sessionId },
        {
          session: (id) => current() && adoptSession(id, question),
          delta: (piece) => {
            if (!current()) return;
            setTyping(false);
            appendDelta(ensureReply(), piece);
          },
          reset: () => {
            if (!current()) return;
            clearDeltas(ensureReply());
          },
          citations: (list) => {
            if (!current()) return;
            const model = ensureReply();
            model.citations = normalizeCitations(list);
            keepPinned(() => renderAssistantExtras(model));
          },
          done: (answer) => {
            if (!current()) return;
            setTyping(false);
            if (answer.session_id) adoptSession(String(answer.session_id), question);
            finishAnswer(ensureReply(), answer);
          },
        },
        controller.signal,
      );
    } catch (err) {
      if (!isAbort(err) && current()) {
        setTyping(false);
        const error = err instanceof ApiError ? err : new ApiError("Something went wrong while showing the answer.");
        if (!(err instanceof ApiError)) console.error(err); // eslint-disable-line no-console
        failAnswer(ensureReply(), error);
        announce(`Career Coach couldn't answer: ${error.message}`);
      }
    } finally {
      if (state.controller === controller) state.controller = null;
      if (current()) {
        els.log.removeAttribute("aria-busy");
        setTyping(false);
        setBusy(false);
      }
    }
  }

  function retryAnswer(model) {
    if (state.busy || state.loading) return;
    const question = model.question || (model.replyTo && model.replyTo.content);
    if (!question) return;
    const isLast = state.messages[state.messages.length - 1] === model;
    if (isLast && model.replyTo && state.messages.includes(model.replyTo)) {
      removeMessage(model);
      runTurn(question, model.replyTo);
    } else {
      send(question); // an older failure: ask again as a new turn
    }
  }

  async function sendFeedback(model, rating) {
    if (!model.messageId || model.feedback === rating || model.feedbackPending) return;
    const previous = model.feedback;
    const buttons = model.parts.actions ? model.parts.actions.querySelectorAll(".feedback-btn") : [];
    const status = model.parts.feedbackStatus;
    const paint = (value) => {
      for (const b of buttons) b.setAttribute("aria-pressed", String(b.getAttribute("data-rating") === value));
    };
    model.feedback = rating;
    model.feedbackPending = true;
    paint(rating);
    for (const b of buttons) b.disabled = true;
    if (status) {
      status.classList.remove("is-error");
      status.textContent = "";
    }
    try {
      await request("POST", "/api/feedback", {
        session_id: model.sessionId || state.sessionId,
        message_id: model.messageId,
        rating,
      });
      if (status) status.textContent = "Thanks for the feedback";
    } catch (err) {
      model.feedback = previous;
      paint(previous);
      if (status) {
        status.classList.add("is-error");
        status.textContent = `Feedback not saved: ${err.message || "try again"}`;
      }
    } finally {
      model.feedbackPending = false;
      for (const b of buttons) b.disabled = false;
    }
  }

  /** Clears the message pane (aborting any answer in flight) before showing another conversation. */
  function resetView() {
    state.generation += 1;
    if (state.controller) state.controller.abort();
    state.controller = null;
    for (const m of state.messages) if (m.parts.countdown) window.clearInterval(m.parts.countdown);
    closeSource(false);
    state.messages = [];
    els.log.replaceChildren();
    els.log.removeAttribute("aria-busy");
    els.historyStatus.hidden = true;
    els.historyStatus.replaceChildren();
    setTyping(false);
    state.busy = false;
    setLoading(false);
    updateStarters();
  }

  function startNewConversation({ focus = true } = {}) {
    resetView();
    state.sessionId = null;
    storage.remove(KEY_CURRENT);
    renderSidebar();
    els.composer.value = "";
    autoGrow();
    composerState();
    if (focus) els.composer.focus();
  }

  async function openConversation(id, { focus = false } = {}) {
    resetView();
    state.sessionId = id;
    storage.set(KEY_CURRENT, id);
    if (!loadConversations().some((c) => c.id === id)) upsertConversation(id, "Conversation", { touch: false });
    renderSidebar();
    const generation = state.generation;
    const controller = new AbortController();
    state.controller = controller;
    setLoading(true);
    updateStarters();
    const loadingTimer = window.setTimeout(() => {
      if (generation !== state.generation) return;
      els.historyStatus.textContent = "Loading conversation…";
      els.historyStatus.hidden = false;
    }, 150);
    try {
      const data = await request("GET", `/api/sessions/${encodeURIComponent(id)}`, undefined, controller.signal);
      if (generation !== state.generation) return;
      renderHistory(id, data || {});
    } catch (err) {
      if (isAbort(err) || generation !== state.generation) return;
      if (err.status === 404) {
        // The server forgot this conversation: start fresh without a fuss.
        removeConversation(id);
        startNewConversation({ focus });
        return;
      }
      const retry = h("button", { type: "button", class: "retry-btn", "data-testid": "retry" }, icon("retry"), h("span", null, "Retry"));
      retry.addEventListener("click", () => openConversation(id, { focus: true }));
      els.historyStatus.replaceChildren(`Couldn't load this conversation: ${err.message}`, retry);
      els.historyStatus.hidden = false;
    } finally {
      window.clearTimeout(loadingTimer);
      if (generation === state.generation) {
        if (state.controller === controller) state.controller = null;
        setLoading(false);
        updateStarters();
        if (focus) els.composer.focus();
      }
    }
  }

  function renderHistory(id, data) {
    els.historyStatus.hidden = true;
    els.historyStatus.replaceChildren();
    const messages = Array.isArray(data.messages) ? data.messages : [];
    // Announcing a whole history at once helps nobody: mute the live region while it renders.
    els.log.setAttribute("aria-live", "off");
    let lastQuestion = null;
    for (const m of messages) {
      if (!m || (m.role !== "user" && m.role !== "assistant")) continue;
      const content = typeof m.content === "string" ? m.content : "";
      if (m.role === "user") {
        lastQuestion = content;
        addMessage({ role: "user", content, createdAt: m.created_at, messageId: m.id ? String(m.id) : null });
      } else {
        addMessage({
          role: "assistant",
          content,
          createdAt: m.created_at,
          citations: normalizeCitations(m.citations),
          refused: m.refused === true,
          answerHtml: typeof m.answer_html === "string" && m.answer_html ? m.answer_html : null,
          messageId: m.id ? String(m.id) : null,
          sessionId: id,
          feedback: m.feedback === "up" || m.feedback === "down" ? m.feedback : null,
          question: lastQuestion,
        });
      }
    }
    window.setTimeout(() => els.log.setAttribute("aria-live", "polite"), 0);
    const firstQuestion = messages.find((m) => m && m.role === "user" && m.content);
    const known = loadConversations().find((c) => c.id === id);
    if (known && known.title === "Conversation") {
      const title = firstQuestion ? titleFrom(firstQuestion.content) : data.title ? titleFrom(data.title) : null;
      if (title) {
        upsertConversation(id, title, { touch: false, overwriteTitle: true });
        renderSidebar();
      }
    }
    updateStarters();
    scrollToBottom();
  }

  async function deleteConversation(id, row, button) {
    button.disabled = true;
    row.classList.remove("is-error");
    try {
      await request("DELETE", `/api/sessions/${encodeURIComponent(id)}`);
    } catch (err) {
      if (err.status !== 404) {
        button.disabled = false;
        row.classList.add("is-error");
        row.title = `Couldn't delete: ${err.message}`;
        announce(`Couldn't delete the conversation: ${err.message}`);
        return;
      }
    }
    const items = Array.from(els.conversationList.querySelectorAll("[data-testid='conversation']"));
    const index = items.findIndex((b) => b.getAttribute("data-session-id") === id);
    const hadFocus = row.contains(document.activeElement);
    removeConversation(id);
    if (state.sessionId === id) startNewConversation({ focus: false });
    renderSidebar();
    announce("Conversation deleted");
    if (hadFocus) {
      const remaining = els.conversationList.querySelectorAll("[data-testid='conversation']");
      (remaining[Math.min(index, remaining.length - 1)] || els.newConversation).focus();
    }
  }

  /* ------------------------------------------------------------------ sidebar */

  function renderSidebar() {
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
      const row = h("li", { class: "conversation-row" }, open, remove);
      open.addEventListener("click", () => {
        closeNav(false);
        if (c.id !== state.sessionId || state.loading) openConversation(c.id, { focus: true });
        else els.composer.focus();
      });
      remove.addEventListener("click", () => deleteConversation(c.id, row, remove));
      return row;
    });
    els.conversationList.replaceChildren(...rows);
    els.conversationEmpty.hidden = rows.length > 0;
    els.channelItem.classList.toggle("is-active", !state.sessionId);
  }

  /* ------------------------------------------------------------------ narrow screens */

  const narrow = window.matchMedia("(max-width: 640px)");

  function openNav() {
    els.app.classList.add("is-nav-open");
    els.menu.setAttribute("aria-expanded", "true");
    els.backdrop.hidden = false;
    els.channel.inert = true;
    els.newConversation.focus();
  }

  function closeNav(restoreFocus) {
    if (!els.app.classList.contains("is-nav-open")) return;
    els.app.classList.remove("is-nav-open");
    els.menu.setAttribute("aria-expanded", "false");
    els.backdrop.hidden = true;
    els.channel.inert = false;
    if (restoreFocus) els.menu.focus();
  }

  /* ------------------------------------------------------------------ embedding */

  function tellParent(type) {
    if (window.parent && window.parent !== window) window.parent.postMessage({ type }, "*");
  }

  /* ------------------------------------------------------------------ wiring */

  function bind() {
    els.form.addEventListener("submit", (event) => {
      event.preventDefault();
      submitComposer();
    });
    els.composer.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || event.shiftKey || event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.isComposing || event.keyCode === 229) return; // IME is composing
      event.preventDefault();
      submitComposer();
    });
    els.composer.addEventListener("input", () => {
      autoGrow();
      composerState();
    });
    window.addEventListener("resize", autoGrow);

    els.starters.addEventListener("click", (event) => {
      const starter = event.target.closest("[data-testid='starter']");
      if (starter) send(starter.textContent);
    });

    els.log.addEventListener("click", (event) => {
      const link = event.target.closest("a.cite");
      if (!link || !els.log.contains(link)) return;
      event.preventDefault();
      const model = modelByElement.get(link.closest(".msg"));
      if (model) openSource(model, link.getAttribute("data-cite"), link);
    });

    els.panelClose.addEventListener("click", () => closeSource(true));
    els.newConversation.addEventListener("click", () => {
      closeNav(false);
      startNewConversation();
    });
    els.menu.addEventListener("click", openNav);
    els.sidebarClose.addEventListener("click", () => closeNav(true));
    els.backdrop.addEventListener("click", () => closeNav(true));
    narrow.addEventListener("change", () => closeNav(false));

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

  /**
   * A link to one cited passage, as the Slack app writes them:
   * `/#session=ID&message=MESSAGE_ID&cite=N` opens the conversation and that source.
   */
  function readSourceLink() {
    const fragment = new URLSearchParams(location.hash.replace(/^#/, ""));
    const session = fragment.get("session");
    if (!session) return null;
    return { session, message: fragment.get("message"), cite: fragment.get("cite") };
  }

  async function openSourceLink(link) {
    await openConversation(link.session);
    if (state.sessionId !== link.session || !link.cite) return;
    const answers = state.messages.filter((m) => m.role === "assistant");
    const model = answers.find((m) => m.messageId === link.message) || answers[answers.length - 1];
    if (!model) return;
    if (model.el) model.el.scrollIntoView({ block: "center" });
    openSource(model, link.cite, null);
  }

  function init() {
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
})();
