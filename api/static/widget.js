/*
 * Career Coach embed: adds a floating launcher that opens the coach's chat in an iframe.
 *
 *   <script src="https://coach.example.com/widget.js" data-coach-url="https://coach.example.com"
 *           data-title="Career Coach" data-position="right"></script>
 *
 * On a public page, list the page's origin in COACH_PUBLIC_ORIGINS rather than passing
 * data-api-key: anything in the snippet is readable by every visitor. data-api-key is for
 * private pages only (an intranet behind its own login).
 * Self-contained. The launcher lives in a shadow root (with `all: initial`), so host-page CSS
 * does not reach it and its own styles do not leak out. The API key travels in the iframe URL's
 * fragment, which browsers never send to a server. API: window.CareerCoachWidget.open/close/toggle.
 */
(() => {
  "use strict";

  if (window.CareerCoachWidget) return; // loaded twice

  const script =
    document.currentScript ||
    Array.from(document.querySelectorAll("script[src]")).reverse().find((s) => /widget\.js(\?|#|$)/.test(s.src));
  const attr = (name) => (script && script.getAttribute(name)) || "";

  let coachUrl;
  try {
    const fallback = script && script.src ? new URL(script.src, location.href).origin : location.origin;
    coachUrl = new URL(attr("data-coach-url") || fallback, location.href);
  } catch {
    return;
  }
  const coachOrigin = coachUrl.origin;
  const coachBase = coachUrl.href.replace(/[?#].*$/, "").replace(/\/+$/, "");
  const apiKey = attr("data-api-key");
  const title = attr("data-title") || "Career Coach";
  const left = attr("data-position") === "left";

  const STYLE = `
    :host { all: initial; }
    .ccw-root, .ccw-root * { box-sizing: border-box; }
    .ccw-root {
      font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
      font-size: 15px; line-height: 1.4; color: #1d1c1d;
    }
    .ccw-launcher {
      position: fixed; bottom: 20px; ${left ? "left" : "right"}: 20px; z-index: 2147483000;
      display: grid; place-items: center; width: 56px; height: 56px; margin: 0; padding: 0;
      border: 0; border-radius: 50%; background: #4a154b; color: #fff; cursor: pointer;
      box-shadow: 0 4px 14px rgba(0, 0, 0, .25), 0 1px 3px rgba(0, 0, 0, .2);
      transition: transform .15s ease, background .15s ease;
    }
    .ccw-launcher:hover { background: #611f69; transform: translateY(-1px); }
    .ccw-launcher:focus { outline: none; }
    .ccw-launcher:focus-visible { box-shadow: 0 0 0 3px #fff, 0 0 0 6px #1d9bd1; }
    .ccw-launcher svg { width: 26px; height: 26px; }
    .ccw-launcher .ccw-icon-close { display: none; }
    .ccw-launcher[aria-expanded="true"] .ccw-icon-open { display: none; }
    .ccw-launcher[aria-expanded="true"] .ccw-icon-close { display: block; }
    .ccw-panel {
      position: fixed; bottom: 88px; ${left ? "left" : "right"}: 20px; z-index: 2147483000;
      width: 400px; max-width: calc(100vw - 40px);
      height: 640px; max-height: calc(100vh - 112px);
      border-radius: 12px; overflow: hidden; background: #fff;
      box-shadow: 0 12px 40px rgba(0, 0, 0, .25), 0 0 0 1px rgba(0, 0, 0, .08);
    }
    .ccw-panel[hidden] { display: none; }
    .ccw-frame { display: block; width: 100%; height: 100%; border: 0; background: #fff; }
    .ccw-visually-hidden {
      position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden;
      clip: rect(0 0 0 0); white-space: nowrap; border: 0;
    }
    @media (max-width: 480px) {
      .ccw-panel { inset: 0; width: 100%; max-width: none; height: 100%; max-height: none; border-radius: 0; }
      .ccw-launcher[aria-expanded="true"] { display: none; }
    }
    @media (prefers-reduced-motion: reduce) { .ccw-launcher { transition: none; } }
  `;

  const SVG_NS = "http://www.w3.org/2000/svg";
  function svgIcon(cls, d) {
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", cls);
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", d);
    svg.append(path);
    return svg;
  }

  const CHAT_PATH =
    "M5 3h14a3 3 0 0 1 3 3v9a3 3 0 0 1-3 3h-6.6l-4.8 3.6A1 1 0 0 1 6 20.8V18H5a3 3 0 0 1-3-3V6a3 3 0 0 1 3-3Zm3 6.5a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3Zm4 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3Zm4 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3Z";
  const CLOSE_PATH =
    "M5.3 5.3a1 1 0 0 1 1.4 0L12 10.6l5.3-5.3a1 1 0 1 1 1.4 1.4L13.4 12l5.3 5.3a1 1 0 0 1-1.4 1.4L12 13.4l-5.3 5.3a1 1 0 0 1-1.4-1.4l5.3-5.3-5.3-5.3a1 1 0 0 1 0-1.4Z";

  let host;
  let launcher;
  let panel;
  let frame = null;
  let frameReady = false;
  let isOpen = false;

  function frameSrc() {
    const fragment = new URLSearchParams({ embed: "1" });
    if (apiKey) fragment.set("api_key", apiKey);
    return `${coachBase}/#${fragment.toString()}`;
  }

  function postToFrame(type) {
    if (frame && frame.contentWindow) frame.contentWindow.postMessage({ type }, coachOrigin);
  }

  function ensureFrame() {
    if (frame) return;
    frame = document.createElement("iframe");
    frame.className = "ccw-frame";
    frame.title = `${title} chat`;
    frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-forms allow-popups allow-popups-to-escape-sandbox");
    frame.setAttribute("referrerpolicy", "no-referrer");
    frame.setAttribute("allow", "clipboard-write");
    frame.addEventListener("load", () => {
      frameReady = true;
      if (isOpen) postToFrame("career-coach:focus");
    });
    frame.src = frameSrc();
    panel.append(frame);
  }

  function open() {
    if (isOpen || !panel) return;
    isOpen = true;
    ensureFrame();
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    launcher.setAttribute("aria-label", `Close ${title}`);
    launcher.title = `Close ${title}`;
    frame.focus();
    if (frameReady) postToFrame("career-coach:focus");
  }

  function close() {
    if (!isOpen) return;
    isOpen = false;
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-label", `Open ${title}`);
    launcher.title = `Open ${title}`;
    launcher.focus();
  }

  function toggle() {
    if (isOpen) close();
    else open();
  }

  function mount() {
    if (host) return;
    host = document.createElement("career-coach-widget");
    host.style.setProperty("all", "initial", "important");
    host.style.setProperty("display", "block", "important");
    host.style.setProperty("position", "static", "important");
    const root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;

    const style = document.createElement("style");
    style.textContent = STYLE;

    const wrap = document.createElement("div");
    wrap.className = "ccw-root";

    launcher = document.createElement("button");
    launcher.type = "button";
    launcher.className = "ccw-launcher";
    launcher.setAttribute("data-testid", "widget-launcher");
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", "ccw-panel");
    launcher.setAttribute("aria-label", `Open ${title}`);
    launcher.title = `Open ${title}`;
    launcher.append(svgIcon("ccw-icon-open", CHAT_PATH), svgIcon("ccw-icon-close", CLOSE_PATH));
    launcher.addEventListener("click", toggle);

    panel = document.createElement("div");
    panel.className = "ccw-panel";
    panel.id = "ccw-panel";
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", title);
    panel.setAttribute("data-testid", "widget-panel");

    wrap.append(panel, launcher);
    root.append(style, wrap);
    document.body.append(host);
  }

  // Esc in the host page closes the chat; Esc inside the iframe arrives as a message.
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && isOpen) close();
  });
  window.addEventListener("message", (event) => {
    if (!frame || event.source !== frame.contentWindow || event.origin !== coachOrigin) return;
    const data = event.data;
    if (data && typeof data === "object" && data.type === "career-coach:close") close();
  });

  window.CareerCoachWidget = { open, close, toggle };

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount, { once: true });
})();
