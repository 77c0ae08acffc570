// Shared by the pages: labels in the chosen language, DOM building, copying.
// Everything that came from a picture is put on the page as text (textContent), never as HTML.
"use strict";

const PSOD = {
  lang: "en",
  labels: {},
  listeners: [],

  async init() {
    const saved = localStorage.getItem("psod-lang");
    this.lang = saved === "en" || saved === "ja" ? saved : (navigator.language || "").startsWith("ja") ? "ja" : "en";
    const res = await fetch("/api/ui");
    this.labels = await res.json();
    for (const b of document.querySelectorAll("[data-lang]")) {
      b.addEventListener("click", () => this.setLang(b.dataset.lang));
    }
    this.apply();
  },

  // A label by key ("choose", "r.headline", "a.title"), {name} filled from params.
  t(key, params) {
    const table = this.labels[this.lang] || {};
    let text = table[key] ?? (this.labels.en || {})[key] ?? key;
    for (const [k, v] of Object.entries(params || {})) text = text.split(`{${k}}`).join(String(v));
    return text;
  },

  setLang(lang) {
    if (lang === this.lang) return;
    this.lang = lang;
    localStorage.setItem("psod-lang", lang);
    this.apply();
    for (const fn of this.listeners) fn(lang);
  },

  onLang(fn) {
    this.listeners.push(fn);
  },

  apply() {
    document.documentElement.lang = this.lang;
    for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = this.t(node.dataset.i18n);
    for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
      node.placeholder = this.t(node.dataset.i18nPlaceholder);
    }
    for (const b of document.querySelectorAll("[data-lang]")) {
      b.setAttribute("aria-pressed", String(b.dataset.lang === this.lang));
    }
    document.title = this.t("title");
  },
};

// el("p", {class: "x"}, "text", child) -> element; strings become text nodes.
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "dataset") Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function table(head, rows, attrs) {
  return el("table", attrs,
    el("thead", {}, el("tr", {}, head.map((h) => el("th", {scope: "col"}, h)))),
    el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c) => el("td", {}, c))))));
}

// navigator.clipboard needs a secure context (http://127.0.0.1 is one, a LAN address is not).
async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch (e) { /* fall through */ }
  }
  const area = el("textarea", {readonly: true, class: "visually-hidden"});
  area.value = text;
  document.body.append(area);
  area.select();
  const ok = document.execCommand("copy");
  area.remove();
  return ok;
}

function formatUptime(seconds, text) {
  if (seconds === null || seconds === undefined) return text || "";
  const days = Math.floor(seconds / 86400);
  let rest = seconds - days * 86400;
  const hours = Math.floor(rest / 3600);
  rest -= hours * 3600;
  const minutes = Math.floor(rest / 60);
  const secs = rest - minutes * 60;
  const two = (n) => String(n).padStart(2, "0");
  return `${days}d ${two(hours)}:${two(minutes)}:${secs.toFixed(3).padStart(6, "0")}`;
}

async function apiError(res) {
  try {
    const body = await res.json();
    if (body && body.error) return body.error;
  } catch (e) { /* not JSON */ }
  return `HTTP ${res.status}`;
}
