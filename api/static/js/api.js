/** The coach's HTTP API: JSON requests and the streamed answer (SSE, with a JSON fallback). */
import { config } from "./config.js";
import { createSseParser } from "./sse.js";

export class ApiError extends Error {
  constructor(message, { status = 0, code = "error", retryAfter = null, contract = false } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
    this.contract = contract; // the body followed {"error": {...}}
  }
}

export const isAbort = (err) => Boolean(err) && err.name === "AbortError";

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

export async function request(method, path, body, signal) {
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
export async function chat(body, on, signal) {
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
