/** Message models and their rendering: answers, citation chips, errors with Retry, feedback. */
import { request } from "./api.js";
import { pageLabel } from "./cite-label.js";
import { config } from "./config.js";
import { els, h, icon } from "./dom.js";
import { updateStarters } from "./library.js";
import { sanitizedFragment, textFragment } from "./sanitizer.js";
import { keepPinned } from "./scroll.js";
import { closeSource, markActiveCitation, openSource } from "./source-panel.js";
import { state } from "./state.js";
import { dayKey, dayLabel, timeEl, toDate } from "./time.js";

const GROUP_WINDOW_MS = 5 * 60 * 1000; // Slack groups consecutive messages within a few minutes

const modelByElement = new WeakMap();
let keySeq = 0;

export function normalizeCitations(list) {
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
      page: Number.isInteger(c.page) && c.page > 0 ? c.page : null,
    }));
}

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
  return role === "assistant" ? state.coachName : config.userName;
}

/** Adds a message model to the conversation and renders it at the end of the log. */
export function addMessage(fields) {
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

export function clearDeltas(model) {
  keepPinned(() => {
    model.content = "";
    model.parts.stream.data = "";
  });
}

export function appendDelta(model, piece) {
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
    link.setAttribute("title", [cite.title || cite.source, cite.section].filter(Boolean).join(" › ") + pageLabel(cite));
    link.setAttribute("aria-label", `Source ${cite.id}: ${cite.title || cite.source}`);
  }
}

export function finishAnswer(model, answer) {
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

export function failAnswer(model, error) {
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
export function renderAssistantExtras(model) {
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
  const label = [cite.title || cite.source || "Guide", cite.section].filter(Boolean).join(" › ") + pageLabel(cite);
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
  if (cite.page) text.append(h("span", { class: "citation-chip__page", "data-testid": "citation-page" }, pageLabel(cite)));
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

export function removeMessage(model) {
  if (model.parts.countdown) window.clearInterval(model.parts.countdown);
  if (state.panel.model === model) closeSource(false);
  model.el.remove();
  if (model.divider) model.divider.remove();
  state.messages = state.messages.filter((m) => m !== model);
}

/**
 * Clicks in the log: an inline [n] opens its source; an answer's Retry hands the answer to
 * `retry` (the conversation flow asks again).
 */
export function bindLog({ retry }) {
  els.log.addEventListener("click", (event) => {
    const link = event.target.closest("a.cite");
    if (link && els.log.contains(link)) {
      event.preventDefault();
      const model = modelByElement.get(link.closest(".msg"));
      if (model) openSource(model, link.getAttribute("data-cite"), link);
      return;
    }
    const button = event.target.closest(".msg .retry-btn");
    const model = button && modelByElement.get(button.closest(".msg"));
    if (model) retry(model);
  });
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
