/** The page's settings: window.COACH_CONFIG, the entry script's data-* attributes, the URL fragment. */

/** The page's <script src=".../app.js">: a module has no document.currentScript. */
function entryScript() {
  return Array.from(document.querySelectorAll("script[src]")).find((s) => /\/app\.js([?#]|$)/.test(s.src)) || null;
}

function readConfig() {
  const cfg = window.COACH_CONFIG && typeof window.COACH_CONFIG === "object" ? window.COACH_CONFIG : {};
  const script = entryScript();
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

export const config = readConfig();
