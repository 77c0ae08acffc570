// The host page: pattern analysis over the host's stored crashes, then its history.
"use strict";

const host = decodeURIComponent(location.pathname.replace(/^\/hosts\//, ""));
let data = null;

async function load() {
  const res = await fetch(`/api/hosts/${encodeURIComponent(host)}/analysis?lang=${PSOD.lang}`);
  const error = document.getElementById("host-error");
  if (!res.ok) {
    error.hidden = false;
    error.textContent = res.status === 404 ? PSOD.t("no_reports") : await apiError(res);
    data = null;
  } else {
    error.hidden = true;
    data = await res.json();
  }
  draw();
}

function uptime(row) {
  return row.uptime_seconds === null || row.uptime_seconds === undefined ? "-" : formatUptime(row.uptime_seconds, "");
}

function draw() {
  document.getElementById("host-title").textContent = PSOD.t("history_of", {host});
  const analysis = document.getElementById("analysis");
  const history = document.getElementById("history");
  analysis.replaceChildren();
  history.replaceChildren();
  if (!data) return;
  const count = PSOD.t("a.crashes", {n: data.evidence.length});
  const copy = el("button", {type: "button", class: "copy-markdown"}, PSOD.t("copy_md"));
  copy.addEventListener("click", async () => {
    if (await copyText(data.markdown)) copy.textContent = PSOD.t("copied");
  });
  analysis.append(
    el("h3", {}, PSOD.t("a.title")),
    el("p", {class: `verdict analysis-${data.verdict}`},
      `${PSOD.t("a.verdict")}: `, el("strong", {class: "analysis-verdict"}, PSOD.t(`a.${data.verdict}`)), ` (${count})`),
    el("h4", {}, PSOD.t("a.reasons")),
    el("ul", {class: "reasons"}, data.reasons.map((r) => el("li", {dataset: {code: r.code}}, r[`text_${PSOD.lang}`] || r.text_en))),
    el("p", {class: "actions"}, copy));
  if (data.evidence.length) {
    const cols = ["time", "uptime", "build", "type", "world", "pcpu", "signature", "frames"];
    const rows = data.evidence.map((e) => [e.crash_time || "-", uptime(e), e.build || "-", e.type || "-",
      e.world || "-", e.pcpu === null || e.pcpu === undefined ? "-" : String(e.pcpu), e.signature || "-",
      (e.top_frames || []).join(" | ") || "-"]);
    analysis.append(el("h4", {}, PSOD.t("a.evidence")),
      el("div", {class: "scroll"}, table(cols.map((c) => PSOD.t(`a.col_${c}`)), rows, {class: "evidence"})));
  }
  const head = ["col_id", "col_created", "a.col_type", "col_headline", "a.col_signature"].map((k) => PSOD.t(k));
  const rows = data.history.map((h) => [el("a", {href: `/reports/${h.id}`}, String(h.id)), h.created,
    h.type, h.headline || "-", h.signature || "-"]);
  history.append(el("h3", {}, PSOD.t("history")), el("div", {class: "scroll"}, table(head, rows, {class: "history"})));
}

PSOD.onLang(load);

(async () => {
  await PSOD.init();
  await load();
  document.body.dataset.ready = "1";
})();
