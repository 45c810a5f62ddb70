// rtcbridge browser phone: SIP over WebSocket (RFC 7118) with SIP.js 0.21.
//
// The server is the page's own host: wss://<host>/ws (ws:// when the page is
// plain http), SIP domain = the page's host name. `?server=wss://...` and
// `?domain=...` override both (for development against another server);
// `?expires=N` asks for N-second registrations (default 300; tests use it
// to see refreshes).
//
// Tests read the state from window.phone (see the end of this file) and the
// visible text; ids of the elements are part of that contract.

import {
  UserAgent,
  Registerer,
  RegistererState,
  Inviter,
  SessionState,
  Web,
} from "sip.js";

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------------------
// Configuration from the page address

function serverConfig() {
  const params = new URLSearchParams(location.search);
  let host = location.hostname; // browsers give "[::1]" for IPv6; be safe anyway
  if (host.includes(":") && !host.startsWith("[")) host = `[${host}]`;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return {
    domain: params.get("domain") || host,
    server: params.get("server") || `${scheme}//${location.host}/ws`,
    debug: params.has("debug"),
    expires: Math.max(1, Number.parseInt(params.get("expires") || "300", 10) || 300),
  };
}
const config = serverConfig();

// ---------------------------------------------------------------------------
// State (read by the tests through window.phone)

const state = {
  registration: "unregistered", // unregistered | connecting | registering | registered | failed | disconnected
  loggedIn: false,
  extension: "",
  callState: "idle", // idle | calling | ringing | incoming | connected | ended
  direction: null, // "outgoing" | "incoming"
  peer: null,
  muted: false,
  held: false,
  remoteHeld: false,
  videoOn: false,
  lastError: null, // { code, message }
  lastEndReason: null, // { code, message } of the last call
  events: [], // { time, text, error }
  sipMessages: [], // { dir: "out" | "in", text }
  dtmfReceived: [], // tones received by SIP INFO
  dtmfSent: [], // { tone, how }
  callDuration: 0, // seconds of the last or current call
  registrationCount: 0, // successful REGISTER transactions since log-in
};

let ua = null;
let registerer = null;
let session = null; // the current call (Inviter or Invitation)
let call = null; // bookkeeping of the current call
let timerId = null;
let regGuard = null;
let reconnectTimer = null;
let reRegisterTimer = null;
let loggingOut = false;

// ---------------------------------------------------------------------------
// Small UI helpers

function hhmmss(date = new Date()) {
  return date.toTimeString().slice(0, 8);
}

function addEvent(text, error = false) {
  const entry = { time: Date.now(), text, error };
  state.events.push(entry);
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

function showError(message, code = null) {
  state.lastError = { code, message };
  const box = $("error");
  box.textContent = message;
  box.hidden = false;
  addEvent(message, true);
}

function clearError() {
  state.lastError = null;
  $("error").hidden = true;
  $("error").textContent = "";
}

function sipLog(dir, text) {
  state.sipMessages.push({ dir, text });
  if (state.sipMessages.length > 1000) state.sipMessages.shift();
  const pre = $("siplog");
  const arrow = dir === "out" ? "sent" : dir === "in" ? "received" : dir;
  pre.append(document.createTextNode(`--- ${hhmmss()} ${arrow} ---\n${text.trimEnd()}\n\n`));
  while (pre.childNodes.length > 400) pre.firstChild.remove();
  if ($("siplog-panel").open) pre.scrollTop = pre.scrollHeight;
}

// SIP.js log connector: transport traces go to the SIP log panel, warnings
// and errors to the console (and the SIP log), the rest only with ?debug.
function logConnector(level, category, label, content) {
  const trace = /^(Sending WebSocket message|Received WebSocket text message):\s*\n\n/.exec(content);
  if (trace) {
    sipLog(trace[1].startsWith("Sending") ? "out" : "in", content.slice(trace[0].length));
    return;
  }
  if (level === "error" || level === "warn") {
    console[level](`[${category}${label ? " " + label : ""}] ${content}`);
    sipLog(level, `${category}: ${content}`);
  } else if (config.debug) {
    console.debug(`[${category}${label ? " " + label : ""}] ${content}`);
  }
}

const REG_TEXT = {
  unregistered: ["Not registered", "badge-off"],
  connecting: ["Connecting…", "badge-wait"],
  registering: ["Registering…", "badge-wait"],
  registered: null, // "Registered as NNNN"
  failed: ["Registration failed", "badge-err"],
  disconnected: ["Disconnected, reconnecting…", "badge-err"],
};

function setRegistration(reg) {
  state.registration = reg;
  render();
}

function setCall(callState, statusText) {
  state.callState = callState;
  $("call-status").textContent = statusText;
  render();
}

function render() {
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
  const inCall = session !== null;
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

function formatDuration(s) {
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mmss = `${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}`;
  return h ? `${h}:${mmss}` : mmss;
}

function startTimer() {
  stopTimer();
  state.callDuration = 0;
  $("call-timer").textContent = formatDuration(0);
  timerId = setInterval(() => {
    if (!call || !call.startedAt) return;
    state.callDuration = Math.floor((Date.now() - call.startedAt) / 1000);
    $("call-timer").textContent = formatDuration(state.callDuration);
  }, 250);
}

function stopTimer() {
  if (timerId) clearInterval(timerId);
  timerId = null;
}

// ---------------------------------------------------------------------------
// Errors in plain words

function describeResponse(code, reason, peer, context) {
  const who = peer || "The other side";
  if (context === "register") {
    switch (code) {
      case 401:
      case 403:
      case 407:
        return "Wrong extension or password.";
      case 404:
        return `Extension ${state.extension} not found on this server.`;
      case 408:
        return "The server did not answer the registration.";
      case 423:
        return "The server refused the registration interval.";
      default:
        return `Registration failed: ${code} ${reason || ""}`.trim() + ".";
    }
  }
  if (context === "transfer") {
    if (code === 404) return `Transfer failed: extension ${peer} not found.`;
    if (code === 480) return `Transfer failed: ${peer} is not available.`;
    if (code === 486 || code === 600) return `Transfer failed: ${peer} is busy.`;
    return `Transfer failed: ${code} ${reason || ""}`.trim() + ".";
  }
  switch (code) {
    case 401:
    case 407:
      return "The server did not accept our credentials for this call (wrong password?).";
    case 403:
      return `Calling ${who} is not allowed (403 Forbidden).`;
    case 404:
    case 604:
      return `Extension ${who} not found.`;
    case 408:
      return `No answer from ${who}.`;
    case 410:
      return `${who} no longer exists.`;
    case 480:
      return `${who} is not available (not logged in).`;
    case 484:
      return `The number ${who} is incomplete.`;
    case 486:
    case 600:
      return `${who} is busy.`;
    case 487:
      return "Call cancelled.";
    case 488:
    case 606:
      return `${who} cannot take this call (no common audio or video format).`;
    case 503:
      return "The server cannot place calls right now (503 Service Unavailable).";
    case 603:
      return `${who} declined the call.`;
    default:
      if (code >= 500 && code < 600) return `Server error: ${code} ${reason || ""}`.trim() + ".";
      return `Call failed: ${code} ${reason || ""}`.trim() + ".";
  }
}

function describeMediaError(err, video) {
  const device = video ? "microphone and camera" : "microphone";
  switch (err && err.name) {
    case "NotAllowedError":
    case "PermissionDeniedError":
    case "SecurityError":
      return `No permission to use the ${device}. Allow it for this page in the browser (the icon in the address bar) and try again.`;
    case "NotFoundError":
    case "DevicesNotFoundError":
    case "OverconstrainedError":
      return `No ${device} found. Connect one and try again.`;
    case "NotReadableError":
    case "TrackStartError":
    case "AbortError":
      return `The ${device} cannot be opened; another program may be using it.`;
    default:
      if (!navigator.mediaDevices) {
        return "This page must be opened over https (or from localhost) to use the microphone.";
      }
      return `Could not start the ${device}: ${(err && err.message) || err}.`;
  }
}

// ---------------------------------------------------------------------------
// Media

let lastMediaError = null;

// getUserMedia through SIP.js, remembering the error so that the call can
// explain it (SIP.js turns a failed answer into a plain 480 otherwise).
function mediaStreamFactory(constraints) {
  if (!constraints.audio && !constraints.video) return Promise.resolve(new MediaStream());
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    const e = new Error("Media devices not available in insecure contexts.");
    lastMediaError = e;
    return Promise.reject(e);
  }
  return navigator.mediaDevices.getUserMedia(constraints).catch((e) => {
    lastMediaError = e;
    throw e;
  });
}

function currentSdh() {
  return session && session.sessionDescriptionHandler ? session.sessionDescriptionHandler : null;
}

function currentPc() {
  const sdh = currentSdh();
  return sdh ? sdh.peerConnection : undefined;
}

function remoteStream() {
  const sdh = currentSdh();
  return sdh ? sdh.remoteMediaStream : null;
}

function localStream() {
  const sdh = currentSdh();
  return sdh ? sdh.localMediaStream : null;
}

function attachMedia() {
  const rs = remoteStream();
  const audio = $("remote-audio");
  if (rs && audio.srcObject !== rs) {
    audio.srcObject = rs;
    rs.onaddtrack = () => {
      updateMediaView();
      audio.play().catch(() => {});
    };
    rs.onremovetrack = () => updateMediaView();
  }
  if (rs) audio.play().catch(() => {});
  updateMediaView();
}

function detachMedia() {
  for (const id of ["remote-audio", "remote-video", "local-video"]) $(id).srcObject = null;
  $("media").hidden = true;
}

function updateMediaView() {
  const rs = remoteStream();
  const ls = localStream();
  const remoteVideo = rs ? rs.getVideoTracks().filter((t) => t.readyState === "live") : [];
  const localVideo = ls ? ls.getVideoTracks().filter((t) => t.readyState === "live") : [];
  const show = state.callState === "connected" && (remoteVideo.length > 0 || (localVideo.length > 0 && state.videoOn));
  $("media").hidden = !show;
  if (!show) return;
  const rv = $("remote-video");
  if (rs && rv.srcObject !== rs) rv.srcObject = rs; // muted: the audio element plays the sound
  const lv = $("local-video");
  lv.hidden = !(state.videoOn && localVideo.length);
  if (ls && lv.srcObject !== ls) lv.srcObject = ls;
}

// Mute, hold and video on/off act on the tracks; hold also re-INVITEs.
function applyTrackState() {
  const pc = currentPc();
  if (!pc) return;
  for (const sender of pc.getSenders()) {
    if (!sender.track) continue;
    if (sender.track.kind === "audio") sender.track.enabled = !state.muted && !state.held;
    if (sender.track.kind === "video") sender.track.enabled = state.videoOn && !state.held;
  }
  for (const receiver of pc.getReceivers()) {
    if (receiver.track) receiver.track.enabled = !state.held;
  }
}

function wantVideo() {
  return $("video-toggle").checked;
}

function sdhOptions(video) {
  return { constraints: { audio: true, video: !!video } };
}

// ---------------------------------------------------------------------------
// Log in, registration, log out

function makeUserAgent(ext, password) {
  const uri = UserAgent.makeURI(`sip:${encodeURIComponent(ext)}@${config.domain}`);
  if (!uri) throw new Error(`"${ext}" is not a valid extension.`);
  return new UserAgent({
    uri,
    authorizationUsername: ext,
    authorizationPassword: password,
    transportOptions: { server: config.server, traceSip: true, connectionTimeout: 5, keepAliveInterval: 25 },
    logBuiltinEnabled: false,
    logLevel: "log",
    logConfiguration: false,
    logConnector,
    userAgentString: "rtcbridge-phone (SIP.js 0.21)",
    noAnswerTimeout: 60,
    sessionDescriptionHandlerFactory: Web.defaultSessionDescriptionHandlerFactory(mediaStreamFactory),
    sessionDescriptionHandlerFactoryOptions: {
      // No public STUN server: media goes through the host candidates (and,
      // once rtcbridge anchors media, through the server).
      peerConnectionConfiguration: { iceServers: [], bundlePolicy: "max-bundle", rtcpMuxPolicy: "require" },
      iceGatheringTimeout: 2000,
    },
    delegate: {
      onInvite: (invitation) => onIncomingCall(invitation),
      onConnect: () => onTransportConnect(),
      onDisconnect: (error) => onTransportDisconnect(error),
    },
  });
}

async function login(ext, password) {
  ext = ext.trim();
  clearError();
  if (!ext || !password) {
    showError("Enter your extension and password.");
    return;
  }
  if (ua) await stopUserAgent();
  state.extension = ext;
  state.registrationCount = 0;
  loggingOut = false;
  try {
    localStorage.setItem("rtcbridge.extension", ext);
  } catch (_) {
    /* private mode */
  }
  try {
    ua = makeUserAgent(ext, password);
  } catch (e) {
    showError(e.message);
    return;
  }
  setRegistration("connecting");
  addEvent(`Connecting to ${config.server}`);
  try {
    await ua.start();
  } catch (e) {
    ua = null;
    setRegistration("failed");
    showError(`Cannot reach the server at ${config.server}. Is rtcbridge running?`);
    return;
  }
  registerer = new Registerer(ua, { expires: config.expires, refreshFrequency: 90 });
  registerer.stateChange.addListener((s) => onRegistererState(s));
  // a REGISTER transaction ended (the first one or a refresh)
  registerer.waitingChange.addListener((waiting) => {
    if (waiting || !registerer || registerer.state !== RegistererState.Registered) return;
    state.registrationCount += 1;
    onRegistered(state.registrationCount > 1 ? "Registration refreshed" : null);
  });
  register();
}

// SIP.js's Registerer sends every refresh with the Authorization of the first
// REGISTER (same nonce, nc=00000001 again), which a server that refuses
// replayed nonce counts answers with 403. Drop it, so that each refresh is
// challenged afresh (one more round trip, and it works with every server).
function dropStaleCredentials() {
  const request = registerer && registerer.request;
  if (request && request.headers) {
    delete request.headers.Authorization;
    delete request.headers["Proxy-Authorization"];
  }
}

function register() {
  if (!registerer) return;
  dropStaleCredentials();
  setRegistration("registering");
  clearTimeout(regGuard);
  regGuard = setTimeout(() => {
    if (state.registration === "registering") {
      setRegistration("failed");
      showError("The server did not answer the registration.");
      if (!state.loggedIn) stopUserAgent();
    }
  }, 15000);
  registerer
    .register({
      requestDelegate: {
        onReject: (response) => {
          const code = response.message.statusCode;
          clearTimeout(regGuard);
          setRegistration("failed");
          // SIP.js 0.21 answers only MD5 challenges, and looks only at the last
          // WWW-Authenticate header: a 401 it did not even try is no wrong password.
          const challenge = code === 401 || code === 407 ? response.message.getHeader(code === 401 ? "www-authenticate" : "proxy-authenticate") || "" : "";
          const algorithm = (/algorithm\s*=\s*"?([\w-]+)/i.exec(challenge) || [])[1];
          if (algorithm && algorithm.toUpperCase() !== "MD5") {
            showError(`The server asks for ${algorithm} digest authentication, which this phone (SIP.js) cannot do; it needs MD5.`, code);
          } else {
            showError(describeResponse(code, response.message.reasonPhrase, null, "register"), code);
          }
          if (!state.loggedIn) stopUserAgent(); // back to the log-in form, nothing left open
        },
      },
    })
    .catch((e) => {
      clearTimeout(regGuard);
      setRegistration("failed");
      showError(`Registration failed: ${e.message}`);
    });
}

// A REGISTER succeeded: the first, a refresh, or one after a reconnection
// (SIP.js's Registerer state may not change then, so both its state and its
// "waiting" events lead here).
function onRegistered(note) {
  clearTimeout(regGuard);
  dropStaleCredentials();
  const first = !state.loggedIn;
  const again = state.registration !== "registered";
  state.loggedIn = true;
  setRegistration("registered");
  if (first) {
    clearError();
    addEvent(`Registered as ${state.extension}@${config.domain}`);
    $("number").focus();
  } else if (again) {
    addEvent("Registered again");
  } else if (note) {
    addEvent(note);
  }
}

function onRegistererState(s) {
  if (s === RegistererState.Registered) {
    onRegistered(null);
  } else if (s === RegistererState.Unregistered) {
    if (loggingOut || !state.loggedIn) return;
    // A refresh failed or the server dropped us: try again shortly.
    if (state.registration === "registered") {
      setRegistration("failed");
      addEvent("Registration lost; trying again in 5 s", true);
      clearTimeout(reRegisterTimer);
      reRegisterTimer = setTimeout(() => {
        if (ua && ua.isConnected() && !loggingOut) register();
      }, 5000);
    }
  }
}

function onTransportConnect() {
  if (state.loggedIn && !loggingOut && state.registration !== "registered") {
    addEvent("Connected to the server again");
    register();
  }
}

function onTransportDisconnect(error) {
  if (loggingOut || !ua) return;
  if (!error) return;
  addEvent(`Connection to the server lost${error.message ? ": " + error.message : ""}`, true);
  if (!state.loggedIn) {
    setRegistration("failed");
    return;
  }
  setRegistration("disconnected");
  let attempt = 0;
  const retry = () => {
    if (!ua || loggingOut || ua.isConnected()) return;
    attempt += 1;
    ua.reconnect()
      .then(() => {
        // onConnect registers again
      })
      .catch(() => {
        if (attempt < 20) reconnectTimer = setTimeout(retry, Math.min(30000, 2000 * attempt));
        else {
          setRegistration("failed");
          showError(`Cannot reach the server at ${config.server}. Log in again later.`);
        }
      });
  };
  clearTimeout(reconnectTimer);
  reconnectTimer = setTimeout(retry, 1000);
}

async function stopUserAgent() {
  const oldUa = ua;
  const oldReg = registerer;
  ua = null;
  registerer = null;
  clearTimeout(regGuard);
  clearTimeout(reconnectTimer);
  clearTimeout(reRegisterTimer);
  if (oldReg) await oldReg.dispose().catch(() => {});
  if (oldUa) await oldUa.stop().catch(() => {});
}

async function logout() {
  loggingOut = true;
  if (session) hangup();
  try {
    if (registerer && registerer.state === RegistererState.Registered) {
      await registerer.unregister().catch(() => {});
    }
  } finally {
    await stopUserAgent();
    state.loggedIn = false;
    setRegistration("unregistered");
    addEvent("Logged out");
    loggingOut = false;
  }
}

// ---------------------------------------------------------------------------
// Calls

function targetUri(raw) {
  raw = (raw || "").trim();
  if (!raw) return null;
  if (/^sips?:/i.test(raw)) return UserAgent.makeURI(raw);
  if (raw.includes("@")) return UserAgent.makeURI(`sip:${raw}`);
  const user = raw.replace(/[\s().-]/g, "");
  if (!user) return null;
  return UserAgent.makeURI(`sip:${user.replace(/#/g, "%23")}@${config.domain}`);
}

function uriLabel(uri) {
  if (!uri) return "";
  const user = uri.user ? decodeURIComponent(uri.user) : "";
  if (!user) return uri.host || "";
  const host = uri.host;
  const local = host === config.domain || `[${host}]` === config.domain || host === config.domain.replace(/^\[|\]$/g, "");
  return local ? user : `${user}@${host}`;
}

function newCall(s, direction, peer) {
  session = s;
  lastMediaError = null;
  call = {
    session: s,
    direction,
    peer,
    startedAt: null,
    rejectCode: null,
    rejectReason: "",
    cancelledByUs: false,
    rejectedByUs: false,
    transferred: false,
    mediaError: null,
    video: false,
  };
  state.direction = direction;
  state.peer = peer;
  state.muted = false;
  state.held = false;
  state.remoteHeld = false;
  state.videoOn = false;
  state.callDuration = 0;
  const thisCall = call;
  s.delegate = {
    onInfo: (info) => onInfo(info),
    onInvite: (request) => onReInvite(thisCall, request),
    onRefer: (referral) => onRefer(thisCall, referral),
    onSessionDescriptionHandler: () => {
      if (session === s) attachMedia();
    },
  };
  s.stateChange.addListener((st) => onSessionState(thisCall, st));
}

async function startCall(rawTarget) {
  clearError();
  if (session) return;
  if (!ua || state.registration !== "registered") {
    showError("Log in first.");
    return;
  }
  const target = targetUri(rawTarget);
  if (!target) {
    showError(rawTarget.trim() ? `"${rawTarget.trim()}" is not a number or SIP address.` : "Enter a number to call.");
    return;
  }
  const peer = uriLabel(target);
  const video = wantVideo();
  const inviter = new Inviter(ua, target, { sessionDescriptionHandlerOptions: sdhOptions(video) });
  placeCall(inviter, peer, video);
}

function placeCall(inviter, peer, video) {
  newCall(inviter, "outgoing", peer);
  const thisCall = call;
  thisCall.video = video;
  state.videoOn = video;
  setCall("calling", `Calling ${peer}…`);
  addEvent(`Calling ${peer}${video ? " (video)" : ""}`);
  document.title = `Calling ${peer} – rtcbridge phone`;
  inviter
    .invite({
      requestDelegate: {
        onProgress: (response) => {
          const code = response.message.statusCode;
          if ((code === 180 || code === 183) && session === inviter && state.callState === "calling") {
            setCall("ringing", `Ringing ${peer}…`);
            addEvent(`${peer} is ringing`);
          }
        },
        onReject: (response) => {
          thisCall.rejectCode = response.message.statusCode;
          thisCall.rejectReason = response.message.reasonPhrase;
        },
      },
    })
    .catch((e) => {
      thisCall.mediaError = lastMediaError || e;
      if (inviter.state !== SessionState.Terminated && inviter.state !== SessionState.Terminating) {
        inviter.cancel().catch(() => {});
      }
      if (session !== inviter) return;
      // invite() failing before the INVITE left (no microphone) ends the call here
      if (inviter.state === SessionState.Terminated) onSessionState(thisCall, SessionState.Terminated);
    });
}

function onIncomingCall(invitation) {
  const who = invitation.remoteIdentity;
  const peer = (who.displayName && who.displayName !== who.uri.user ? `${who.displayName} (${uriLabel(who.uri)})` : uriLabel(who.uri)) || "unknown";
  if (session) {
    invitation.reject({ statusCode: 486 }).catch(() => {});
    addEvent(`Call from ${peer} refused: busy on another call`);
    return;
  }
  newCall(invitation, "incoming", peer);
  const body = invitation.request.body || "";
  call.offersVideo = /^m=video [1-9]/m.test(body);
  setCall("incoming", `Incoming call from ${peer}`);
  addEvent(`Incoming call from ${peer}${call.offersVideo ? " (video)" : ""}`);
  document.title = `Incoming call from ${peer} – rtcbridge phone`;
}

function answer() {
  if (!session || state.callState !== "incoming") return;
  clearError();
  const video = call.offersVideo && wantVideo();
  call.video = video;
  state.videoOn = video;
  const thisCall = call;
  setCall("incoming", "Answering…");
  session.accept({ sessionDescriptionHandlerOptions: sdhOptions(video) }).catch((e) => {
    thisCall.mediaError = lastMediaError || e;
  });
  // Invitation.accept() hides a getUserMedia failure (it answers 480 itself):
  // the mediaStreamFactory records it and onSessionState explains it.
}

function reject() {
  if (!session || state.callState !== "incoming") return;
  call.rejectedByUs = true;
  session.reject({ statusCode: 486 }).catch(() => {});
}

function hangup() {
  if (!session) return;
  const s = session;
  switch (s.state) {
    case SessionState.Initial:
    case SessionState.Establishing:
      if (s instanceof Inviter) {
        call.cancelledByUs = true;
        s.cancel().catch(() => {});
      } else {
        call.rejectedByUs = true;
        s.reject({ statusCode: 486 }).catch(() => {});
      }
      break;
    case SessionState.Established:
      call.hungUpByUs = true;
      s.bye().catch((e) => showError(`Could not hang up cleanly: ${e.message}`));
      break;
    default:
      break;
  }
}

function onSessionState(thisCall, st) {
  const s = thisCall.session;
  if (st === SessionState.Established) {
    if (thisCall.startedAt) return;
    thisCall.startedAt = Date.now();
    if (session !== s) return;
    // after a transfer to us: the transferor's call ends now
    if (thisCall.replaces && thisCall.replaces.state === SessionState.Established) {
      thisCall.replaces.bye().catch(() => {});
    }
    startTimer();
    setCall("connected", "Connected");
    addEvent(`Connected with ${thisCall.peer}`);
    document.title = `In call with ${thisCall.peer} – rtcbridge phone`;
    attachMedia();
    applyTrackState();
    return;
  }
  if (st !== SessionState.Terminated || thisCall.ended) return;
  thisCall.ended = true;
  if (session !== s) return; // an old call (after a transfer) ending quietly
  // SIP.js reports Terminated before it hands the final response to the
  // request delegate (onReject): look at the outcome once that has run.
  setTimeout(() => callEnded(thisCall), 0);
}

function callEnded(thisCall) {
  if (session !== thisCall.session) return;
  stopTimer();
  if (thisCall.startedAt) {
    state.callDuration = Math.floor((Date.now() - thisCall.startedAt) / 1000);
    $("call-timer").textContent = formatDuration(state.callDuration);
  }
  detachMedia();
  session = null;
  call = null;
  state.muted = state.held = state.remoteHeld = state.videoOn = false;
  document.title = "rtcbridge phone";

  let status;
  let error = null;
  let code = thisCall.rejectCode;
  const mediaError = thisCall.mediaError || (!thisCall.startedAt && lastMediaError);
  if (thisCall.startedAt) {
    status = "Call ended";
    const who = thisCall.transferred ? "Call transferred" : thisCall.hungUpByUs ? "You hung up" : `${thisCall.peer} hung up`;
    addEvent(`${who} (${formatDuration(state.callDuration)})`);
  } else if (mediaError) {
    status = "Call failed";
    error = describeMediaError(mediaError, thisCall.video);
  } else if (thisCall.cancelledByUs) {
    status = "Call cancelled";
    addEvent(`Call to ${thisCall.peer} cancelled`);
  } else if (thisCall.rejectedByUs) {
    status = "Call rejected";
    addEvent(`Call from ${thisCall.peer} rejected`);
  } else if (thisCall.direction === "incoming") {
    status = "Missed call";
    addEvent(`Missed call from ${thisCall.peer}`);
  } else if (code) {
    status = code === 486 || code === 600 ? "Busy" : "Call failed";
    error = describeResponse(code, thisCall.rejectReason, thisCall.peer, "call");
  } else {
    status = "Call failed";
    error = `The call to ${thisCall.peer} failed (no answer from the server).`;
  }
  state.lastEndReason = { code: code || null, message: error || status };
  setCall("ended", status);
  if (error) showError(error, code || null);
}

function toggleMute() {
  if (!session || state.callState !== "connected") return;
  state.muted = !state.muted;
  applyTrackState();
  addEvent(state.muted ? "Microphone muted" : "Microphone on");
  render();
}

async function toggleHold() {
  if (!session || state.callState !== "connected") return;
  const s = session;
  const hold = !state.held;
  const options = Object.assign({}, s.sessionDescriptionHandlerOptionsReInvite, sdhOptions(call.video), { hold });
  $("hold-btn").disabled = true;
  try {
    await s.invite({
      sessionDescriptionHandlerOptions: options,
      requestDelegate: {
        onAccept: () => {
          if (session !== s) return;
          state.held = hold;
          applyTrackState();
          $("call-status").textContent = hold ? "On hold" : state.remoteHeld ? `Held by ${state.peer}` : "Connected";
          addEvent(hold ? "Call on hold" : "Call resumed");
          render();
        },
        onReject: (response) => {
          const code = response.message.statusCode;
          showError(`${hold ? "Hold" : "Resume"} refused by the other side (${code} ${response.message.reasonPhrase}).`, code);
        },
      },
    });
  } catch (e) {
    showError(`Could not ${hold ? "hold" : "resume"} the call: ${e.message}`);
  } finally {
    $("hold-btn").disabled = false;
  }
}

function onReInvite(thisCall, request) {
  if (session !== thisCall.session) return;
  const sdp = request.body || "";
  const audio = /^m=audio[\s\S]*?(?=^m=|(?![\s\S]))/m.exec(sdp);
  const section = audio ? audio[0] : sdp;
  const held = /^a=(sendonly|inactive)\s*$/m.test(section) || /^c=IN IP4 0\.0\.0\.0/m.test(section);
  if (held !== state.remoteHeld) {
    state.remoteHeld = held;
    addEvent(held ? `${thisCall.peer} put the call on hold` : `${thisCall.peer} resumed the call`);
    if (state.callState === "connected") {
      $("call-status").textContent = state.held ? "On hold" : held ? `Held by ${thisCall.peer}` : "Connected";
    }
  }
  setTimeout(() => {
    attachMedia();
    applyTrackState();
  }, 0);
  render();
}

async function toggleVideo() {
  if (!session || state.callState !== "connected") return;
  const s = session;
  const ls = localStream();
  const hasVideo = ls && ls.getVideoTracks().some((t) => t.readyState === "live");
  if (hasVideo) {
    // camera on/off without renegotiation
    state.videoOn = !state.videoOn;
    applyTrackState();
    addEvent(state.videoOn ? "Camera on" : "Camera off");
    render();
    return;
  }
  // first time: add a camera track and re-INVITE
  call.video = true;
  const options = Object.assign({}, s.sessionDescriptionHandlerOptionsReInvite, sdhOptions(true), { hold: state.held });
  $("video-btn").disabled = true;
  lastMediaError = null;
  try {
    await s.invite({
      sessionDescriptionHandlerOptions: options,
      requestDelegate: {
        onAccept: () => {
          state.videoOn = true;
          applyTrackState();
          addEvent("Video on");
          attachMedia();
          render();
        },
        onReject: (response) => {
          showError(`${state.peer} did not accept video (${response.message.statusCode} ${response.message.reasonPhrase}).`);
        },
      },
    });
  } catch (e) {
    showError(lastMediaError ? describeMediaError(lastMediaError, true) : `Could not start video: ${e.message}`);
  } finally {
    $("video-btn").disabled = false;
  }
}

// DTMF: RFC 4733 telephone-events through RTCDTMFSender, SIP INFO
// (application/dtmf-relay), or both.
function sendDtmf(tone) {
  if (!session || state.callState !== "connected") return;
  const mode = $("dtmf-mode").value;
  const hows = [];
  if (mode === "auto" || mode === "both") {
    const pc = currentPc();
    const sender = pc && pc.getSenders().find((x) => x.track && x.track.kind === "audio" && x.dtmf);
    if (sender && sender.dtmf.canInsertDTMF !== false) {
      try {
        sender.dtmf.insertDTMF(tone, 120, 70);
        hows.push("RFC 4733");
      } catch (e) {
        addEvent(`In-band DTMF failed: ${e.message}`, true);
      }
    }
  }
  if (mode === "info" || mode === "both" || (mode === "auto" && hows.length === 0)) {
    session
      .info({
        requestOptions: {
          body: {
            contentDisposition: "render",
            contentType: "application/dtmf-relay",
            content: `Signal=${tone}\r\nDuration=160\r\n`,
          },
        },
      })
      .catch((e) => addEvent(`DTMF INFO failed: ${e.message}`, true));
    hows.push("SIP INFO");
  }
  state.dtmfSent.push({ tone, how: hows.join(" + ") });
  addEvent(`Sent DTMF ${tone} (${hows.join(" + ")})`);
}

function onInfo(info) {
  const type = info.request.getHeader("content-type") || "";
  const body = info.request.body || "";
  let tone = null;
  if (/^application\/dtmf-relay/i.test(type)) {
    const m = /Signal\s*=\s*([0-9A-D#*])/i.exec(body);
    if (m) tone = m[1].toUpperCase();
  } else if (/^application\/dtmf\b/i.test(type)) {
    const m = /^\s*([0-9A-D#*])/i.exec(body);
    if (m) tone = m[1].toUpperCase();
  }
  info.accept().catch(() => {});
  if (tone) {
    state.dtmfReceived.push(tone);
    addEvent(`DTMF ${tone} received`);
  }
}

// Blind transfer: REFER, then hang up once the transferee took it (202).
async function transfer(rawTarget) {
  if (!session || state.callState !== "connected") return;
  const target = targetUri(rawTarget);
  if (!target) {
    showError("Enter the number to transfer to.");
    return;
  }
  clearError();
  const s = session;
  const thisCall = call;
  const to = uriLabel(target);
  let finished = false;
  const finish = (why) => {
    if (finished) return;
    finished = true;
    if (s.state === SessionState.Established) {
      thisCall.transferred = true;
      addEvent(why);
      s.bye().catch(() => {});
    }
  };
  addEvent(`Transferring ${thisCall.peer} to ${to}…`);
  try {
    await s.refer(target, {
      requestDelegate: {
        onAccept: () => {
          addEvent(`${thisCall.peer} accepted the transfer to ${to}`);
          // blind: do not wait for the target; give the first NOTIFY a moment
          setTimeout(() => finish(`Transferred ${thisCall.peer} to ${to}`), 1500);
        },
        onReject: (response) => {
          // the REFER itself was refused (by the other phone or on the way)
          finished = true;
          const code = response.message.statusCode;
          showError(
            code === 405 || code === 501 || code === 603
              ? `${thisCall.peer} does not accept transfers (${code} ${response.message.reasonPhrase}).`
              : `Transfer refused: ${code} ${response.message.reasonPhrase}.`,
            code,
          );
        },
      },
      onNotify: (notification) => {
        notification.accept().catch(() => {});
        const m = /SIP\/2\.0\s+(\d{3})\s*([^\r\n]*)/.exec(notification.request.body || "");
        if (!m) return;
        const code = Number(m[1]);
        addEvent(`Transfer to ${to}: ${code} ${m[2]}`);
        if (code >= 200 && code < 300) finish(`Transferred ${thisCall.peer} to ${to}`);
        else if (code >= 300 && !finished) {
          finished = true;
          showError(describeResponse(code, m[2], to, "transfer"));
        }
      },
    });
  } catch (e) {
    showError(`Transfer failed: ${e.message}`);
  }
}

// We are transferred (REFER from the other side): call the target, keep the
// old call until the new one is answered (SIP.js reports progress by NOTIFY).
function onRefer(thisCall, referral) {
  const to = uriLabel(referral.referTo.uri);
  addEvent(`${thisCall.peer} transfers you to ${to}`);
  referral
    .accept()
    .then(() => {
      const video = thisCall.video;
      const inviter = referral.makeInviter({ sessionDescriptionHandlerOptions: sdhOptions(video) });
      const old = session;
      // the old call goes on quietly in the background until it ends
      if (call) call.transferred = true;
      stopTimer();
      detachMedia();
      placeCall(inviter, to, video);
      call.replaces = old;
    })
    .catch((e) => showError(`Transfer failed: ${e.message}`));
}

// ---------------------------------------------------------------------------
// Wiring

function pressKey(key) {
  if (state.callState === "connected" && session) {
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
    if (!session) startCall($("number").value);
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
      $(b.dataset.clear).replaceChildren();
      if (b.dataset.clear === "siplog") state.sipMessages.length = 0;
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
      if (session && session.state === SessionState.Established) session.bye();
      else if (session) hangup();
      if (registerer && registerer.state === RegistererState.Registered) registerer.unregister();
    } catch (_) {
      /* the page is going away */
    }
  });
  render();
}

// ---------------------------------------------------------------------------
// Test hook: read-only view of the state, plus the live objects.

window.phone = {
  get state() {
    return state.registration;
  },
  get registration() {
    return state.registration;
  },
  get loggedIn() {
    return state.loggedIn;
  },
  get extension() {
    return state.extension;
  },
  get registrationCount() {
    return state.registrationCount;
  },
  get callState() {
    return state.callState;
  },
  get direction() {
    return state.direction;
  },
  get peer() {
    return state.peer;
  },
  get muted() {
    return state.muted;
  },
  get held() {
    return state.held;
  },
  get remoteHeld() {
    return state.remoteHeld;
  },
  get videoOn() {
    return state.videoOn;
  },
  get lastError() {
    return state.lastError;
  },
  get lastEndReason() {
    return state.lastEndReason;
  },
  get events() {
    return state.events.map((e) => e.text);
  },
  get sipMessages() {
    return state.sipMessages;
  },
  get dtmfReceived() {
    return state.dtmfReceived.slice();
  },
  get dtmfSent() {
    return state.dtmfSent.slice();
  },
  get callDuration() {
    return state.callDuration;
  },
  get remoteStream() {
    return remoteStream();
  },
  get localStream() {
    return localStream();
  },
  get peerConnection() {
    return currentPc();
  },
  get session() {
    return session;
  },
  get userAgent() {
    return ua;
  },
  config,
  ready: true,
};

init();
