// registration.js - log in, stay registered, log out: the SIP.js UserAgent
// (the WebSocket to the server) and its Registerer, reconnecting after a
// lost connection and registering again after a lost registration.
//
// Owns live.ua, live.registerer, live.loggingOut and the timers
// live.regGuard, live.reconnectTimer and live.reRegisterTimer; writes
// state.loggedIn, extension and registrationCount, and state.registration
// through ui.setRegistration(). The UserAgent hands incoming calls to
// call.js, and logout() hangs up through it. SIP.js's log goes to the SIP
// log panel (logConnector).

import { UserAgent, Registerer, RegistererState, Web } from "sip.js";
import { config } from "./config.js";
import { state, live } from "./state.js";
import { $, addEvent, showError, clearError, sipLog, setRegistration } from "./ui.js";
import { describeRegisterFailure } from "./errors.js";
import { mediaStreamFactory } from "./media.js";
import { onIncomingCall, hangup } from "./call.js";

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

export async function login(ext, password) {
  ext = ext.trim();
  clearError();
  if (!ext || !password) {
    showError("Enter your extension and password.");
    return;
  }
  if (live.ua) await stopUserAgent();
  state.extension = ext;
  state.registrationCount = 0;
  live.loggingOut = false;
  try {
    localStorage.setItem("rtcbridge.extension", ext);
  } catch (_) {
    /* private mode */
  }
  try {
    live.ua = makeUserAgent(ext, password);
  } catch (e) {
    showError(e.message);
    return;
  }
  setRegistration("connecting");
  addEvent(`Connecting to ${config.server}`);
  try {
    await live.ua.start();
  } catch (e) {
    live.ua = null;
    setRegistration("failed");
    showError(`Cannot reach the server at ${config.server}. Is rtcbridge running?`);
    return;
  }
  const registerer = new Registerer(live.ua, { expires: config.expires, refreshFrequency: 90 });
  live.registerer = registerer;
  registerer.stateChange.addListener((s) => onRegistererState(s));
  // a REGISTER transaction ended (the first one or a refresh)
  registerer.waitingChange.addListener((waiting) => {
    if (waiting || !live.registerer || live.registerer.state !== RegistererState.Registered) return;
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
  const request = live.registerer && live.registerer.request;
  if (request && request.headers) {
    delete request.headers.Authorization;
    delete request.headers["Proxy-Authorization"];
  }
}

function register() {
  if (!live.registerer) return;
  dropStaleCredentials();
  setRegistration("registering");
  clearTimeout(live.regGuard);
  live.regGuard = setTimeout(() => {
    if (state.registration === "registering") {
      setRegistration("failed");
      showError("The server did not answer the registration.");
      if (!state.loggedIn) stopUserAgent();
    }
  }, 15000);
  live.registerer
    .register({
      requestDelegate: {
        onReject: (response) => {
          const code = response.message.statusCode;
          clearTimeout(live.regGuard);
          setRegistration("failed");
          const header = code === 401 ? "www-authenticate" : code === 407 ? "proxy-authenticate" : null;
          const challenge = header ? response.message.getHeader(header) || "" : "";
          showError(describeRegisterFailure(code, response.message.reasonPhrase, state.extension, challenge), code);
          if (!state.loggedIn) stopUserAgent(); // back to the log-in form, nothing left open
        },
      },
    })
    .catch((e) => {
      clearTimeout(live.regGuard);
      setRegistration("failed");
      showError(`Registration failed: ${e.message}`);
    });
}

// A REGISTER succeeded: the first, a refresh, or one after a reconnection
// (SIP.js's Registerer state may not change then, so both its state and its
// "waiting" events lead here).
function onRegistered(note) {
  clearTimeout(live.regGuard);
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
    if (live.loggingOut || !state.loggedIn) return;
    // A refresh failed or the server dropped us: try again shortly.
    if (state.registration === "registered") {
      setRegistration("failed");
      addEvent("Registration lost; trying again in 5 s", true);
      clearTimeout(live.reRegisterTimer);
      live.reRegisterTimer = setTimeout(() => {
        if (live.ua && live.ua.isConnected() && !live.loggingOut) register();
      }, 5000);
    }
  }
}

function onTransportConnect() {
  if (state.loggedIn && !live.loggingOut && state.registration !== "registered") {
    addEvent("Connected to the server again");
    register();
  }
}

function onTransportDisconnect(error) {
  if (live.loggingOut || !live.ua) return;
  if (!error) return;
  addEvent(`Connection to the server lost${error.message ? ": " + error.message : ""}`, true);
  if (!state.loggedIn) {
    setRegistration("failed");
    return;
  }
  setRegistration("disconnected");
  let attempt = 0;
  const retry = () => {
    if (!live.ua || live.loggingOut || live.ua.isConnected()) return;
    attempt += 1;
    live.ua
      .reconnect()
      .then(() => {
        // onConnect registers again
      })
      .catch(() => {
        if (attempt < 20) live.reconnectTimer = setTimeout(retry, Math.min(30000, 2000 * attempt));
        else {
          setRegistration("failed");
          showError(`Cannot reach the server at ${config.server}. Log in again later.`);
        }
      });
  };
  clearTimeout(live.reconnectTimer);
  live.reconnectTimer = setTimeout(retry, 1000);
}

async function stopUserAgent() {
  const oldUa = live.ua;
  const oldReg = live.registerer;
  live.ua = null;
  live.registerer = null;
  clearTimeout(live.regGuard);
  clearTimeout(live.reconnectTimer);
  clearTimeout(live.reRegisterTimer);
  if (oldReg) await oldReg.dispose().catch(() => {});
  if (oldUa) await oldUa.stop().catch(() => {});
}

export async function logout() {
  live.loggingOut = true;
  if (live.session) hangup();
  try {
    if (live.registerer && live.registerer.state === RegistererState.Registered) {
      await live.registerer.unregister().catch(() => {});
    }
  } finally {
    await stopUserAgent();
    state.loggedIn = false;
    setRegistration("unregistered");
    addEvent("Logged out");
    live.loggingOut = false;
  }
}

// Closing the page: unregister (best effort; rtcbridge also drops the
// registration when the WebSocket closes).
export function unregisterNow() {
  if (live.registerer && live.registerer.state === RegistererState.Registered) live.registerer.unregister();
}
