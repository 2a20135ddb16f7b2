/** The conversation flow: asking (a turn), retrying, and opening, starting or deleting conversations. */
import { ApiError, chat, isAbort, request } from "./api.js";
import { autoGrow, composerState, MAX_CHARS, setBusy, setLoading, setTyping } from "./composer.js";
import { announce, els, h, icon } from "./dom.js";
import { updateStarters } from "./library.js";
import {
  addMessage,
  appendDelta,
  clearDeltas,
  failAnswer,
  finishAnswer,
  normalizeCitations,
  removeMessage,
  renderAssistantExtras,
} from "./messages.js";
import { keepPinned, scrollToBottom } from "./scroll.js";
import { renderSidebar } from "./sidebar.js";
import { closeSource, openSource } from "./source-panel.js";
import { state } from "./state.js";
import { KEY_CURRENT, loadConversations, removeConversation, storage, titleFrom, upsertConversation } from "./storage.js";

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

export function send(raw) {
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

export function retryAnswer(model) {
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

export function startNewConversation({ focus = true } = {}) {
  resetView();
  state.sessionId = null;
  storage.remove(KEY_CURRENT);
  renderSidebar();
  els.composer.value = "";
  autoGrow();
  composerState();
  if (focus) els.composer.focus();
}

export async function openConversation(id, { focus = false } = {}) {
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

/** A stored question the coach never replied to (it stopped mid-answer): shown as not
 * answered, with Retry, which asks it again in the same conversation. */
function markUnanswered(userModel) {
  const error = new ApiError("This question was not answered: the coach stopped before it replied.", { code: "unanswered" });
  const reply = addMessage({
    role: "assistant",
    status: "error",
    error,
    question: userModel.content,
    replyTo: userModel,
    createdAt: userModel.createdAt,
  });
  reply.el.setAttribute("data-unanswered", "true");
  failAnswer(reply, error);
}

function renderHistory(id, data) {
  els.historyStatus.hidden = true;
  els.historyStatus.replaceChildren();
  const messages = Array.isArray(data.messages) ? data.messages : [];
  // Announcing a whole history at once helps nobody: mute the live region while it renders.
  els.log.setAttribute("aria-live", "off");
  let lastQuestion = null;
  let unanswered = null; // the last question with no reply yet
  for (const m of messages) {
    if (!m || (m.role !== "user" && m.role !== "assistant")) continue;
    const content = typeof m.content === "string" ? m.content : "";
    if (m.role === "user") {
      if (unanswered) markUnanswered(unanswered);
      lastQuestion = content;
      unanswered = addMessage({ role: "user", content, createdAt: m.created_at, messageId: m.id ? String(m.id) : null });
    } else {
      unanswered = null;
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
  if (unanswered) markUnanswered(unanswered);
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

export async function deleteConversation(id, row, button) {
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

/**
 * A link to one cited passage, as the Slack app writes them:
 * `/#session=ID&message=MESSAGE_ID&cite=N` opens the conversation and that source.
 */
export function readSourceLink() {
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ""));
  const session = fragment.get("session");
  if (!session) return null;
  return { session, message: fragment.get("message"), cite: fragment.get("cite") };
}

export async function openSourceLink(link) {
  await openConversation(link.session);
  if (state.sessionId !== link.session || !link.cite) return;
  const answers = state.messages.filter((m) => m.role === "assistant");
  const model = answers.find((m) => m.messageId === link.message) || answers[answers.length - 1];
  if (!model) return;
  if (model.el) model.el.scrollIntoView({ block: "center" });
  openSource(model, link.cite, null);
}
