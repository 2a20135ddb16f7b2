/**
 * The only ways an answer becomes DOM: the server's answer_html, parsed inertly and rebuilt
 * from an allowlist, or the answer's plain text with its **bold**, `code`, lists and [n] marks
 * built as elements around text nodes. Nothing is ever assigned to innerHTML.
 */
import { h } from "./dom.js";

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

export function sanitizedFragment(html) {
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
export function textFragment(text, citations) {
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
