// state.js - everything about the phone that changes, in one place.
//
// `state` is what the user sees: the registration, the call, the logs. The
// browser tests read it through window.phone (testView below), so a field
// added here is theirs to read at once; say beside it what it holds.
//
// `live` is what lies behind it: the SIP.js objects, the bookkeeping of the
// current call and the timers. Beside each field is the module that writes
// it; the others only read it.
//
// Every module may read both objects; no module keeps changing state of its
// own. Imports nothing.

export const state = {
  registration: "unregistered", // unregistered | connecting | registering | registered | failed | disconnected
  loggedIn: false, // registered once since log-in: the phone card is shown
  extension: "",
  registrationCount: 0, // successful REGISTER transactions since log-in
  callState: "idle", // idle | calling | ringing | incoming | connected | ended
  direction: null, // "outgoing" | "incoming"
  peer: null, // who the last or current call is with, as shown
  muted: false,
  held: false, // we put the call on hold
  remoteHeld: false, // the other side did
  videoOn: false, // our camera is sent
  callDuration: 0, // seconds of the last or current call
  lastError: null, // { code, message } shown in the error box
  lastEndReason: null, // { code, message } of the last call
  events: [], // texts of the events panel
  sipMessages: [], // { dir: "out" | "in" | "warn" | "error", text } of the SIP log panel
  dtmfReceived: [], // tones received by SIP INFO
  dtmfSent: [], // { tone, how }
};

export const live = {
  ua: null, // the SIP.js UserAgent while logged in (registration.js)
  registerer: null, // its Registerer (registration.js)
  loggingOut: false, // logout() is running: a closing connection is expected (registration.js)
  regGuard: null, // timer: a REGISTER unanswered for 15 s fails (registration.js)
  reconnectTimer: null, // timer: the next attempt to reach the server again (registration.js)
  reRegisterTimer: null, // timer: REGISTER again after the registration was lost (registration.js)
  session: null, // the current call: a SIP.js Inviter or Invitation (call.js)
  call: null, // the current call's bookkeeping, see newCall (call.js, controls.js)
  clockTimer: null, // timer: the call clock (ui.js)
  lastMediaError: null, // why getUserMedia failed last (media.js; call.js and controls.js clear it)
};

// window.phone for the tests: every field of `state` as a read-only getter
// (arrays copied, so that a test cannot change the phone), then `getters`
// (name -> function) and the plain values of `fixed`.
export function testView(getters, fixed) {
  const view = {};
  for (const key of Object.keys(state)) {
    const get = () => (Array.isArray(state[key]) ? state[key].slice() : state[key]);
    Object.defineProperty(view, key, { enumerable: true, get });
  }
  for (const [key, get] of Object.entries(getters)) {
    Object.defineProperty(view, key, { enumerable: true, get });
  }
  return Object.assign(view, fixed);
}
