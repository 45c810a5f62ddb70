// ui.js - the page: the registration badge, log-in form or phone, the call
// panel and its buttons, the error box, the events and SIP log panels, the
// call clock.
//
// render() draws the page from `state` (and whether there is a call); the
// other modules change `state`, then call render() or setRegistration() /
// setCall(). What is no state of its own (the call's status line, the text of
// the log panels) is written here only. Writes state.registration,
// callState, events, sipMessages, lastError and callDuration, and
// live.clockTimer. Imports state and media (render() redraws the video area).

import { state, live } from "./state.js";
import { updateMediaView } from "./media.js";

export const $ = (id) => document.getElementById(id);

function hhmmss(date = new Date()) {
  return date.toTimeString().slice(0, 8);
}

export function addEvent(text, error = false) {
  state.events.push(text);
  if (state.events.length > 500) state.events.shift();
  const li = document.createElement("li");
  if (error) li.className = "err";
  const t = document.createElement("time");
  t.textContent = hhmmss();
  li.append(t, document.createTextNode(text));
  const list = $("events");
  list.append(li);
  while (list.children.length > 300) list.firstElementChild.remove();
  list.scrollTop = list.scrollHeight;
}

export function showError(message, code = null) {
  state.lastError = { code, message };
  const box = $("error");
  box.textContent = message;
  box.hidden = false;
  addEvent(message, true);
}

export function clearError() {
  state.lastError = null;
  $("error").hidden = true;
  $("error").textContent = "";
}

// One entry of the SIP log panel: a message sent ("out") or received ("in"),
// or a SIP.js warning or error.
export function sipLog(dir, text) {
  state.sipMessages.push({ dir, text });
  if (state.sipMessages.length > 1000) state.sipMessages.shift();
  const pre = $("siplog");
  const arrow = dir === "out" ? "sent" : dir === "in" ? "received" : dir;
  pre.append(document.createTextNode(`--- ${hhmmss()} ${arrow} ---\n${text.trimEnd()}\n\n`));
  while (pre.childNodes.length > 400) pre.firstChild.remove();
  if ($("siplog-panel").open) pre.scrollTop = pre.scrollHeight;
}

export function clearLog(id) {
  $(id).replaceChildren();
  if (id === "siplog") state.sipMessages.length = 0;
}

const REG_TEXT = {
  unregistered: ["Not registered", "badge-off"],
  connecting: ["Connecting…", "badge-wait"],
  registering: ["Registering…", "badge-wait"],
  registered: null, // "Registered as NNNN"
  failed: ["Registration failed", "badge-err"],
  disconnected: ["Disconnected, reconnecting…", "badge-err"],
};

export function setRegistration(reg) {
  state.registration = reg;
  render();
}

// The call's state and the status line under it ("Ringing 1002…").
export function setCall(callState, statusText) {
  state.callState = callState;
  setCallStatus(statusText);
  render();
}

// The status line alone, for what is no change of state (on hold, held).
export function setCallStatus(text) {
  $("call-status").textContent = text;
}

// The window's title: "Calling 1002 – rtcbridge phone", or the plain name.
export function setTitle(what = null) {
  document.title = what ? `${what} – rtcbridge phone` : "rtcbridge phone";
}

export function render() {
  // registration badge
  const badge = $("reg-status");
  const reg = REG_TEXT[state.registration];
  if (reg) {
    badge.textContent = reg[0];
    badge.className = `badge ${reg[1]}`;
  } else {
    badge.textContent = `Registered as ${state.extension}`;
    badge.className = "badge badge-on";
  }
  // log in or phone
  $("login-card").hidden = state.loggedIn;
  $("phone-card").hidden = !state.loggedIn;
  const busy = state.registration === "connecting" || state.registration === "registering";
  $("login-btn").disabled = busy && !state.loggedIn;
  $("login-btn").textContent = busy && !state.loggedIn ? "Logging in…" : "Log in";
  $("my-ext").textContent = state.extension;

  // call
  const cs = state.callState;
  const inCall = live.session !== null;
  const panelState = cs === "connected" && (state.held || state.remoteHeld) ? "held" : cs;
  $("call-panel").dataset.state = panelState;
  $("call-peer").textContent = state.peer && cs !== "idle" ? state.peer : "";
  $("incoming").hidden = cs !== "incoming";
  $("call-btn").hidden = inCall;
  $("call-btn").disabled = state.registration !== "registered";
  $("hangup-btn").hidden = !inCall || cs === "incoming";
  $("hangup-btn").textContent = cs === "calling" || cs === "ringing" ? "Cancel" : "Hang up";
  $("in-call").hidden = cs !== "connected";
  $("call-timer").hidden = !(cs === "connected" || (cs === "ended" && state.callDuration > 0));

  $("mute-btn").setAttribute("aria-pressed", String(state.muted));
  $("mute-btn").textContent = state.muted ? "Unmute" : "Mute";
  $("hold-btn").setAttribute("aria-pressed", String(state.held));
  $("hold-btn").textContent = state.held ? "Resume" : "Hold";
  $("video-btn").setAttribute("aria-pressed", String(state.videoOn));
  $("video-btn").textContent = state.videoOn ? "Video off" : "Video on";
  updateMediaView();
}

export function formatDuration(s) {
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mmss = `${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}`;
  return h ? `${h}:${mmss}` : mmss;
}

function showDuration(seconds) {
  state.callDuration = seconds;
  $("call-timer").textContent = formatDuration(seconds);
}

// The call clock counts from live.call.startedAt, once the call is answered.
export function startClock() {
  stopClock();
  showDuration(0);
  live.clockTimer = setInterval(() => {
    if (!live.call || !live.call.startedAt) return;
    showDuration(Math.floor((Date.now() - live.call.startedAt) / 1000));
  }, 250);
}

// Stops the clock; with `startedAt`, shows the call's final length.
export function stopClock(startedAt = null) {
  if (live.clockTimer) clearInterval(live.clockTimer);
  live.clockTimer = null;
  if (startedAt) showDuration(Math.floor((Date.now() - startedAt) / 1000));
}
