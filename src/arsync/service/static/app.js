// arsync pages: live progress of a run and of a portal login (polls the JSON API once a
// second while something is going on; no library).
"use strict";

function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
}

function stageRows(stages) {
  return stages.map((s) => {
    const counts = Object.entries(s.counts || {})
      .filter(([, v]) => typeof v !== "object")
      .map(([k, v]) => `<span>${esc(k)}=${esc(v)}</span>`).join(" ");
    const secs = s.seconds == null ? "" : `${s.seconds.toFixed(1)} s`;
    return `<tr><td>${esc(s.stage)}</td><td><span class="st st-${esc(s.status)}">${esc(s.status)}</span></td>` +
      `<td class="num">${secs}</td><td class="counts">${counts}</td><td class="error">${esc(s.error || "")}</td></tr>`;
  }).join("");
}

async function followRun(box) {
  const id = box.dataset.run;
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    let state;
    try {
      const res = await fetch(`/api/runs/${encodeURIComponent(id)}`, {credentials: "same-origin"});
      if (!res.ok) continue;
      state = await res.json();
    } catch (e) { continue; }
    const status = document.getElementById("run-status");
    status.textContent = state.status;
    status.className = `st st-${state.status}`;
    const body = document.querySelector("#run-stages tbody");
    if (body) body.innerHTML = stageRows(state.stages || []);
    document.getElementById("run-lines").textContent = (state.lines || []).join("\n");
    if (state.done) { window.location.reload(); return; }
  }
}

async function followLogin(box) {
  const id = box.dataset.login;
  let shown = box.dataset.status;
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    try {
      const res = await fetch(`/api/logins/${encodeURIComponent(id)}`, {credentials: "same-origin"});
      if (!res.ok) continue;
      const state = await res.json();
      if (state.status !== shown) { window.location.reload(); return; }
    } catch (e) { continue; }
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const run = document.getElementById("run");
  if (run && run.dataset.done === "no") followRun(run);
  const login = document.getElementById("login");
  if (login && !["ok", "failed", "captcha", "sms"].includes(login.dataset.status)) followLogin(login);
});
