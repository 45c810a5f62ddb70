// app.js - the rtcbridge browser phone: SIP over WebSocket (RFC 7118) with
// SIP.js 0.21. web/build.sh bundles this file and the modules it imports
// into dist/app.js, which index.html loads.
//
// The modules, each opening with what it owns and what it may touch:
//   config.js        where to connect, read from the page address
//   state.js         all that changes: what the page shows, the SIP.js objects, the timers
//   errors.js        failures in plain words (pure; tests/web/errors.test.mjs)
//   sipbody.js       what the phone reads out of SIP bodies (pure; tests/web/sipbody.test.mjs)
//   ui.js            the page drawn from the state; events, errors, SIP log, call clock
//   media.js         microphone, camera, streams and tracks
//   registration.js  log in, stay registered, log out
//   call.js          one call: place, answer, reject, hang up, how it ended
//   controls.js      during a call: mute, hold, video, DTMF, transfer
//
// This file wires the page's buttons and keys to them and gives the tests
// window.phone: the state, read-only, and the live SIP.js objects. The ids of
// the elements are part of the same contract.

import { config } from "./config.js";
import { state, live, testView } from "./state.js";
import { $, clearLog, render } from "./ui.js";
import { currentPc, remoteStream, localStream } from "./media.js";
import { login, logout, unregisterNow } from "./registration.js";
import { startCall, answer, reject, hangup, hangupOnClose } from "./call.js";
import { toggleMute, toggleHold, toggleVideo, sendDtmf, transfer } from "./controls.js";

// A dial pad key: a digit of the number, or DTMF during a call.
function pressKey(key) {
  if (state.callState === "connected" && live.session) {
    sendDtmf(key);
    return;
  }
  const input = $("number");
  input.value += key;
  input.focus();
}

function init() {
  $("server-url").textContent = `${config.server} (domain ${config.domain})`;
  try {
    const ext = localStorage.getItem("rtcbridge.extension");
    if (ext) $("login-ext").value = ext;
  } catch (_) {
    /* private mode */
  }
  $("login-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    login($("login-ext").value, $("login-pass").value);
  });
  $("logout-btn").addEventListener("click", () => logout());
  $("dial-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (!live.session) startCall($("number").value);
  });
  $("dialpad").addEventListener("click", (ev) => {
    const b = ev.target.closest("button[data-key]");
    if (b) pressKey(b.dataset.key);
  });
  $("backspace-btn").addEventListener("click", () => {
    const input = $("number");
    input.value = input.value.slice(0, -1);
    input.focus();
  });
  $("hangup-btn").addEventListener("click", () => hangup());
  $("answer-btn").addEventListener("click", () => answer());
  $("reject-btn").addEventListener("click", () => reject());
  $("mute-btn").addEventListener("click", () => toggleMute());
  $("hold-btn").addEventListener("click", () => toggleHold());
  $("video-btn").addEventListener("click", () => toggleVideo());
  $("transfer-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    transfer($("transfer-target").value);
  });
  for (const b of document.querySelectorAll("button[data-clear]")) {
    b.addEventListener("click", (ev) => {
      ev.preventDefault();
      clearLog(b.dataset.clear);
    });
  }
  // Digits typed anywhere outside a text field during a call are DTMF.
  document.addEventListener("keydown", (ev) => {
    if (ev.target instanceof HTMLInputElement || ev.target instanceof HTMLSelectElement) return;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (/^[0-9*#]$/.test(ev.key) && state.callState === "connected") sendDtmf(ev.key);
  });
  // Closing the page: end the call and unregister (best effort; rtcbridge also
  // drops the registration when the WebSocket closes).
  window.addEventListener("pagehide", () => {
    try {
      hangupOnClose();
      unregisterNow();
    } catch (_) {
      /* the page is going away */
    }
  });
  render();
}

window.phone = testView(
  {
    remoteStream,
    localStream,
    peerConnection: currentPc,
    session: () => live.session,
    userAgent: () => live.ua,
  },
  { config, ready: true },
);

init();
