// The upload page: drop, paste, pick or photograph pictures; each becomes a card that shows
// its upload progress, then the report (verdict first) over the picture with the screen found.
"use strict";

const MAX_PARALLEL = 3; // the server queues the rest anyway; this keeps progress bars honest
const SVG = "http://www.w3.org/2000/svg";
const results = document.getElementById("results");
const hostInput = document.getElementById("host");
const cards = [];
const waiting = [];
let active = 0;

// --- getting pictures in --------------------------------------------------------------------

function addFiles(files) {
  for (const file of files) {
    const card = {file, name: file.name || "pasted.png", host: hostInput.value.trim(), state: "queued", pct: 0};
    card.node = el("article", {class: "report"});
    results.prepend(card.node);
    cards.push(card);
    draw(card);
    waiting.push(card);
  }
  pump();
}

function pump() {
  while (active < MAX_PARALLEL && waiting.length) {
    active += 1;
    upload(waiting.shift()).finally(() => {
      active -= 1;
      pump();
    });
  }
}

function upload(card) {
  return new Promise((resolve) => {
    const form = new FormData();
    form.append("file", card.file, card.name);
    if (card.host) form.append("host", card.host);
    form.append("lang", PSOD.lang);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/reports");
    card.state = "uploading";
    draw(card);
    xhr.upload.onprogress = (e) => {
      if (!e.lengthComputable) return;
      card.pct = Math.round((100 * e.loaded) / e.total);
      if (card.pct >= 100) card.state = "reading";
      drawStatus(card);
    };
    xhr.upload.onload = () => {
      card.state = "reading";
      drawStatus(card);
    };
    xhr.onload = async () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch (e) { /* not JSON */ }
      if (xhr.status === 200 && body) {
        card.report = body;
        card.id = xhr.getResponseHeader("X-Report-Id");
        await loadViews(card);
        card.state = "done";
      } else {
        card.state = "failed";
        card.error = (body && body.error) || `HTTP ${xhr.status}`;
      }
      draw(card);
      loadHosts();
      resolve();
    };
    xhr.onerror = () => {
      card.state = "failed";
      card.error = PSOD.t("network_error");
      draw(card);
      resolve();
    };
    xhr.send(form);
  });
}

// The report in the page's language with the server's text and Markdown renderings.
async function loadViews(card) {
  const res = await fetch(`/api/render?lang=${PSOD.lang}`, {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify(card.report),
  });
  if (!res.ok) {
    card.views = null;
    return;
  }
  const views = await res.json();
  card.report = views.report;
  card.views = views;
  card.lang = PSOD.lang;
}

function isImage(file) {
  return !file.type || file.type.startsWith("image/") || /\.(hei[cf]|tiff?)$/i.test(file.name);
}

function setUpInputs() {
  hostInput.value = localStorage.getItem("psod-host") || "";
  hostInput.addEventListener("change", () => localStorage.setItem("psod-host", hostInput.value.trim()));
  for (const id of ["files", "camera"]) {
    const input = document.getElementById(id);
    input.addEventListener("change", () => {
      addFiles([...input.files]);
      input.value = "";
    });
  }
  const drop = document.getElementById("drop");
  // Anywhere on the page: a picture dropped a little beside the box must not replace the page.
  document.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("dragging");
  });
  document.addEventListener("dragleave", (e) => {
    if (e.target === drop || !e.relatedTarget) drop.classList.remove("dragging");
  });
  document.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("dragging");
    const files = [...((e.dataTransfer && e.dataTransfer.files) || [])].filter(isImage);
    if (files.length) addFiles(files);
  });
  document.addEventListener("paste", (e) => {
    const files = [...((e.clipboardData && e.clipboardData.files) || [])].filter(isImage);
    if (!files.length) return;
    e.preventDefault();
    addFiles(files);
  });
}

// --- drawing a card -------------------------------------------------------------------------

function statusText(card) {
  if (card.state === "uploading") return PSOD.t("uploading", {pct: card.pct});
  return PSOD.t(card.state);
}

function drawStatus(card) {
  card.node.dataset.state = card.state;
  const status = card.node.querySelector(".status");
  if (status) {
    status.textContent = statusText(card);
    status.dataset.state = card.state;
  }
  const bar = card.node.querySelector("progress");
  if (bar && card.state === "uploading") bar.value = card.pct;
  else if (bar) bar.removeAttribute("value"); // indeterminate while the server reads
}

function draw(card) {
  const node = card.node;
  node.replaceChildren();
  const busy = ["queued", "uploading", "reading"].includes(card.state);
  node.append(el("p", {class: "file"},
    el("span", {class: "name"}, card.name),
    " ", el("span", {class: "status", dataset: {state: card.state}}, statusText(card)),
    busy ? el("progress", {max: 100}) : null));
  drawStatus(card);
  if (card.state === "failed") node.append(el("p", {class: "error"}, card.error));
  if (card.state === "done") node.append(...reportView(card));
}

function reportView(card) {
  const r = card.report;
  const d = r.diagnosis;
  const s = r.screen;
  const psod = d.type !== "not_a_psod";
  let cause = PSOD.t(`r.cause_${d.likely_cause}`);
  if (d.faulting_module) cause += ` (${d.faulting_module})`;
  const head = el("header", {class: `verdict cause-${d.likely_cause}`},
    el("p", {class: "label verdict-label"}, PSOD.t("r.verdict")),
    el("h2", {class: "verdict-title"}, d.title, " ", el("span", {class: "verdict-type"}, `[${d.type}]`)),
    el("p", {class: "verdict-line"},
      `${PSOD.t("r.cause")}: `, el("strong", {class: "cause"}, cause),
      ` (${PSOD.t("r.confidence")} ${d.confidence.toFixed(2)})`),
    psod && s.message ? el("p", {class: "headline-line"},
      el("span", {class: "label"}, PSOD.t("r.headline")), ": ", el("code", {class: "headline"}, s.message)) : null,
    psod ? null : el("p", {class: "no-psod"}, PSOD.t("no_psod")));
  const out = [head, actions(card)];
  const body = el("div", {class: "body"});
  const photo = figure(card);
  if (photo) body.append(photo);
  body.append(sections(r, psod));
  out.push(body);
  return out;
}

function actions(card) {
  const bar = el("p", {class: "actions"});
  const copy = (key, label) => {
    const b = el("button", {type: "button", class: `copy-${key}`, disabled: !card.views}, PSOD.t(label));
    b.addEventListener("click", async () => {
      if (!card.views) return;
      const ok = await copyText(card.views[key]);
      if (ok) {
        b.textContent = PSOD.t("copied");
        setTimeout(() => (b.textContent = PSOD.t(label)), 1500);
      }
    });
    return b;
  };
  const download = el("button", {type: "button", class: "download-json"}, PSOD.t("download_json"));
  download.addEventListener("click", () => {
    const blob = new Blob([JSON.stringify(card.report, null, 2) + "\n"], {type: "application/json"});
    const a = el("a", {href: URL.createObjectURL(blob), download: `${card.name.replace(/\.[^.]*$/, "")}.json`});
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  });
  bar.append(copy("text", "copy_text"), copy("markdown", "copy_md"), download);
  if (card.id) bar.append(el("a", {class: "permalink", href: `/reports/${card.id}`}, PSOD.t("permalink", {id: card.id})));
  if (card.host && card.id) {
    bar.append(el("a", {class: "host-link", href: `/hosts/${encodeURIComponent(card.host)}`},
      PSOD.t("host_link", {host: card.host})));
  }
  return bar;
}

// The picture with the screen outline found by the reader, in the picture's own pixels.
function figure(card) {
  const src = card.report.source;
  if (!card.file) return null;
  card.url = card.url || URL.createObjectURL(card.file);
  const frame = el("div", {class: "frame"});
  const img = el("img", {src: card.url, alt: card.name});
  img.addEventListener("error", () => frame.replaceChildren(el("p", {class: "no-preview"}, PSOD.t("no_preview"))));
  frame.append(img);
  const quad = card.report.ocr && card.report.ocr.screen_quad;
  if (quad && src.width && src.height) {
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", `0 0 ${src.width} ${src.height}`);
    svg.setAttribute("preserveAspectRatio", "none");
    svg.setAttribute("class", "overlay");
    const poly = document.createElementNS(SVG, "polygon");
    poly.setAttribute("points", quad.map(([x, y]) => `${x},${y}`).join(" "));
    poly.setAttribute("class", "quad");
    const title = document.createElementNS(SVG, "title");
    title.textContent = PSOD.t("screen_found");
    poly.append(title);
    svg.append(poly);
    frame.append(svg);
  }
  return el("figure", {class: "photo"}, frame);
}

function product(s) {
  const parts = [s.product, s.version, s.build ? `build ${s.build}` : null, s.arch].filter(Boolean);
  return parts.join(" ");
}

function sections(r, psod) {
  const d = r.diagnosis;
  const s = r.screen;
  const box = el("div", {class: "sections"});
  box.append(el("p", {class: "summary"}, d.summary));
  if (psod) {
    const world = s.world ? [s.world.id, s.world.name].filter((x) => x !== null).join(" ") : null;
    const facts = [
      ["r.product", product(s)],
      ["r.world", world],
      ["r.pcpu", s.pcpu === null || s.pcpu === undefined ? null : String(s.pcpu)],
      ["r.module", d.faulting_module],
      ["r.uptime", s.uptime ? formatUptime(s.uptime.seconds, s.uptime.text) : null],
      ["r.signature", d.signature ? `${d.signature}  (${d.signature_frames.join(" | ")})` : null],
    ].filter(([, v]) => v);
    box.append(el("dl", {class: "facts"}, facts.map(([k, v]) => [el("dt", {}, PSOD.t(k)), el("dd", {}, v)])));
    if (s.details.length) box.append(section("r.details", el("ul", {}, s.details.map((x) => el("li", {}, x)))));
    if (s.frames.length) box.append(section("r.backtrace", backtrace(s.frames)));
    const regs = Object.entries(s.registers);
    if (regs.length) {
      const rows = [];
      for (let i = 0; i < regs.length; i += 4) rows.push(regs.slice(i, i + 4).map(([k, v]) => `${k}=${v}`));
      box.append(section("r.registers", el("table", {class: "registers"},
        el("tbody", {}, rows.map((row) => el("tr", {}, row.map((c) => el("td", {}, el("code", {}, c)))))))));
    }
    if (s.cpus.length) {
      const cpus = s.cpus.map((c) => `${c.current ? "*" : ""}${c.pcpu}:${c.world_id ?? ""}/${c.world_name || ""}`);
      box.append(section("r.cpus", el("p", {class: "cpus"}, el("code", {}, cpus.join(" ")))));
    }
    if (s.coredump) {
      box.append(section("r.coredump", el("p", {}, el("strong", {}, s.coredump.status)),
        s.coredump.lines.length ? el("pre", {}, s.coredump.lines.join("\n")) : null));
    }
  }
  if (d.kb.length) {
    box.append(section("r.kb", el("ul", {class: "kb"}, d.kb.map((k) => {
      const name = `KB ${k.id}` + (k.title ? `: ${k.title}` : "");
      const safe = k.url && k.url.startsWith("https://");
      return el("li", {}, safe ? el("a", {href: k.url, target: "_blank", rel: "noopener noreferrer"}, name) : name);
    }))));
  }
  const unread = (r.text.match(/\?/g) || []).length;
  const warnings = [...r.warnings];
  if (warnings.length) box.append(section("r.warnings", el("ul", {class: "warnings"}, warnings.map((w) => el("li", {}, w)))));
  if (r.text) {
    const text = el("details", {class: "screen-text", open: unread > 0},
      el("summary", {}, PSOD.t("screen_text")),
      unread ? el("p", {class: "unread-note"}, PSOD.t("unread", {n: unread})) : null,
      markUnread(r.text));
    box.append(text);
  }
  return box;
}

function section(labelKey, ...content) {
  return el("section", {class: labelKey.replace("r.", "sec-")}, el("h3", {}, PSOD.t(labelKey)), ...content);
}

function backtrace(frames) {
  const head = ["#", "col_frame", "col_ip", "col_symbol", "col_module", "col_offset"].map((k) => k === "#" ? k : PSOD.t(k));
  const rows = frames.map((f, i) => [String(i), f.frame || "", f.ip || "", f.symbol || "?", f.module || "", f.offset || ""]);
  return el("div", {class: "scroll"}, table(head, rows, {class: "backtrace"}));
}

// The repaired screen text with every character the reader could not read ('?') marked.
function markUnread(text) {
  const pre = el("pre", {class: "screen"});
  for (const part of text.split(/(\?+)/)) {
    if (!part) continue;
    pre.append(part.startsWith("?") ? el("mark", {class: "unread"}, part) : document.createTextNode(part));
  }
  return pre;
}

// --- hosts and stored reports ------------------------------------------------------------------

async function loadHosts() {
  const list = document.getElementById("host-list");
  const res = await fetch("/api/hosts");
  if (!res.ok) return;
  const hosts = await res.json();
  list.replaceChildren(...(hosts.length ? hosts.map((h) => el("li", {},
    el("a", {href: `/hosts/${encodeURIComponent(h.host)}`}, h.host), " ",
    el("span", {class: "count"}, PSOD.t("reports_count", {n: h.reports}))))
    : [el("li", {class: "empty"}, PSOD.t("no_hosts"))]));
}

async function showStored(id) {
  const card = {name: `#${id}`, id, state: "reading", pct: 100};
  card.node = el("article", {class: "report"});
  results.prepend(card.node);
  cards.push(card);
  draw(card);
  const res = await fetch(`/api/reports/${id}?lang=${PSOD.lang}`);
  if (res.ok) {
    card.report = await res.json();
    await loadViews(card);
    card.state = "done";
  } else {
    card.state = "failed";
    card.error = res.status === 404 ? PSOD.t("not_found") : await apiError(res);
  }
  draw(card);
}

PSOD.onLang(async () => {
  for (const card of cards) {
    if (card.report && card.lang !== PSOD.lang) await loadViews(card);
    draw(card);
  }
  loadHosts();
});

(async () => {
  await PSOD.init();
  setUpInputs();
  loadHosts();
  const stored = location.pathname.match(/^\/reports\/(\d+)$/);
  if (stored) showStored(stored[1]);
  document.body.dataset.ready = "1";
})();
