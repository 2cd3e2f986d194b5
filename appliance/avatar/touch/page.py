"""The browser preview's touch page: the avatar stream, suggested questions, the station
plan to touch (when the pack has one), a text box with an on-screen keyboard, and the
reply in large text. Plain HTML and JavaScript (no framework, nothing fetched from
elsewhere); served at ``/touch`` by the touch desk.

The plan is an image the desk draws at the page's size (``/touch/plan.png?w=&h=``); a
click on it posts the point in that image's pixels to ``/touch/plan``, and the desk tells
the place with the geometry it drew (:mod:`appliance.avatar.touch.plan`): the page holds
no geometry of its own."""

from __future__ import annotations

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ask the kiosk</title>
<style>
 body { margin: 0; font-family: sans-serif; background: #111; color: #eee; }
 main { max-width: 720px; margin: 0 auto; padding: 8px; }
 #stream { width: 100%; max-height: 45vh; object-fit: contain; background: #000; }
 #reply { font-size: 2rem; line-height: 1.35; min-height: 3em; margin: 8px 0;
          padding: 8px; background: #223; border-radius: 8px; }
 #notice { font-size: 1.3rem; color: #fc6; min-height: 1.4em; }
 #suggestions { display: grid; grid-template-columns: 1fr 1fr; gap: 8px; }
 button { font-size: 1.3rem; padding: 12px; border-radius: 8px; border: 0;
          background: #2a5db0; color: #fff; }
 #row { display: flex; gap: 8px; margin: 8px 0; }
 #question { flex: 1; font-size: 1.4rem; padding: 8px; }
 #keyboard { display: grid; grid-template-columns: repeat(10, 1fr); gap: 4px; }
 #keyboard button { padding: 10px 0; background: #444; }
 #keyboard .wide { grid-column: span 4; }
 label { font-size: 1.2rem; }
 #plan-button { width: 100%; margin: 0 0 8px; background: #2f7a4f; }
 #plan-view { margin: 0 0 8px; }
 #plan-image { display: block; width: 100%; height: auto; border-radius: 8px;
               background: #fafaf6; touch-action: manipulation; }
 #plan-hint { font-size: 1.2rem; margin: 4px 0; }
</style></head>
<body><main>
<img id="stream" src="/stream.mjpg" alt="the kiosk's avatar">
<div id="reply" aria-live="polite"></div>
<div id="notice" role="status"></div>
<button id="plan-button" hidden>Station plan</button>
<div id="plan-view" hidden>
 <p id="plan-hint">Touch a place on the plan to ask about it.</p>
 <img id="plan-image" alt="the station plan: touch a place to ask about it">
</div>
<div id="suggestions"></div>
<div id="row">
 <input id="question" type="text" autocomplete="off" placeholder="Type your question">
 <button id="ask">Ask</button>
</div>
<label><input id="sign" type="checkbox"> Sign the reply</label>
<div id="keyboard"></div>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const box = $("question");
let waitingFor = 0;
let plan = null;  // [w, h]: the size the plan image was drawn at (its pixels)

function notice(text) { $("notice").textContent = text; }

// the next visitor must not read the last one's question: a minute untouched forgets it
const IDLE_RESET_MS = 60000;
let touchedAt = Date.now();
function forgetIfIdle() {
  if (Date.now() - touchedAt < IDLE_RESET_MS || waitingFor) { return; }
  if ($("reply").textContent || $("notice").textContent || box.value) {
    $("reply").textContent = ""; notice(""); box.value = ""; $("sign").checked = false;
  }
}

async function ask(text, source) {
  notice("");
  const res = await fetch("/touch/ask", {method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({text: text, source: source, sign: $("sign").checked})});
  const body = await res.json().catch(() => ({error: "The kiosk did not answer."}));
  if (!res.ok) { notice(body.error || "The kiosk cannot take that question."); return; }
  waitingFor = body.turn;
  $("reply").textContent = "…";
  if (source === "text") { box.value = ""; }
}

function togglePlan() {
  const view = $("plan-view");
  view.hidden = !view.hidden;
  $("plan-button").textContent = view.hidden ? "Station plan" : "Hide the plan";
  if (view.hidden) { return; }
  const ratio = window.devicePixelRatio || 1;
  const w = Math.max(64, Math.min(2160, Math.round(view.clientWidth * ratio)));
  const h = Math.max(64, Math.min(2160, Math.round(w * 0.6)));
  if (!plan || plan[0] !== w || plan[1] !== h) {
    plan = [w, h];
    $("plan-image").dataset.loaded = "";
    $("plan-image").src = `/touch/plan.png?w=${w}&h=${h}`;
  }
}

async function touchPlan(e) {
  const img = $("plan-image");
  if (!plan || img.dataset.loaded !== "1") { return; }
  const r = img.getBoundingClientRect();
  const x = (e.clientX - r.left) * plan[0] / r.width;
  const y = (e.clientY - r.top) * plan[1] / r.height;
  notice("");
  const res = await fetch("/touch/plan", {method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({x: x, y: y, w: plan[0], h: plan[1], sign: $("sign").checked})});
  const body = await res.json().catch(() => ({error: "The kiosk did not answer."}));
  if (res.status === 202) {
    waitingFor = body.turn;
    $("reply").textContent = "…";
    notice("You asked: " + body.question);
    return;
  }
  notice(body.hint || body.error || "The kiosk cannot take that question.");
}

async function poll() {
  forgetIfIdle();
  if (waitingFor) {
    const latest = await fetch("/touch/reply").then((r) => r.json()).catch(() => null);
    if (latest && latest.turn >= waitingFor) {
      $("reply").textContent = latest.reply;
      waitingFor = 0;
      touchedAt = Date.now();
    }
  }
  setTimeout(poll, 300);
}

function key(label, action, cls) {
  const b = document.createElement("button");
  b.textContent = label; b.dataset.key = label;
  if (cls) { b.className = cls; }
  b.addEventListener("click", action);
  $("keyboard").appendChild(b);
}

function keyboard() {
  for (const ch of "1234567890qwertyuiopasdfghjkl'zxcvbnm,.?") {
    key(ch, () => { if (box.value.length < box.maxLength) { box.value += ch; } });
  }
  key("⌫", () => { box.value = box.value.slice(0, -1); }, "");
  key("space", () => { box.value += " "; }, "wide");
  key("clear", () => { box.value = ""; }, "");
  key("Ask", () => ask(box.value, "text"), "wide");
}

async function start() {
  const data = await fetch("/touch/suggestions").then((r) => r.json());
  box.maxLength = data.max_chars;
  for (const s of data.suggestions) {
    const b = document.createElement("button");
    b.textContent = s.label;
    b.addEventListener("click", () => ask(s.question, "touch"));
    $("suggestions").appendChild(b);
  }
  if (data.plan) {
    $("plan-button").hidden = false;
    $("plan-button").addEventListener("click", togglePlan);
    $("plan-image").addEventListener("load", () => { $("plan-image").dataset.loaded = "1"; });
    $("plan-image").addEventListener("click", touchPlan);
  }
  $("ask").addEventListener("click", () => ask(box.value, "text"));
  box.addEventListener("keydown", (e) => { if (e.key === "Enter") { ask(box.value, "text"); } });
  keyboard();
  for (const kind of ["pointerdown", "keydown"]) {
    document.addEventListener(kind, () => { touchedAt = Date.now(); }, true);
  }
  document.body.dataset.ready = "1";
  poll();
}
start();
</script>
</body></html>
"""
