// call.js - one call at a time: placing it, ringing, answering, rejecting,
// hanging up, what the other side sends during it (re-INVITEs, INFO, REFER)
// and how it ended.
//
// Owns live.session (the SIP.js Inviter or Invitation) and live.call, the
// call's bookkeeping (newCall lists its fields): a call keeps its own
// bookkeeping in its callbacks, so an old call (after a transfer) that ends
// late does not touch the current one. Writes the call fields of `state`
// (direction, peer, muted, held, remoteHeld, videoOn, callDuration,
// lastEndReason, dtmfReceived) and callState through ui.setCall(). What the
// user does during a call is in controls.js.

import { UserAgent, Inviter, SessionState } from "sip.js";
import { config } from "./config.js";
import { state, live } from "./state.js";
import { $, addEvent, showError, clearError, setCall, setCallStatus, setTitle, render, formatDuration, startClock, stopClock } from "./ui.js";
import { describeCallEnd } from "./errors.js";
import { sdpHolds, sdpOffersVideo, dtmfTone } from "./sipbody.js";
import { sdhOptions, attachMedia, detachMedia, applyTrackState } from "./media.js";

// What the user typed ("1002", "1002@host", "sip:...") as a SIP URI; a bare
// number is in our domain. null when there is nothing to call.
export function targetUri(raw) {
  raw = (raw || "").trim();
  if (!raw) return null;
  if (/^sips?:/i.test(raw)) return UserAgent.makeURI(raw);
  if (raw.includes("@")) return UserAgent.makeURI(`sip:${raw}`);
  const user = raw.replace(/[\s().-]/g, "");
  if (!user) return null;
  return UserAgent.makeURI(`sip:${user.replace(/#/g, "%23")}@${config.domain}`);
}

// A URI as the user reads it: the bare number in our domain, user@host else.
export function uriLabel(uri) {
  if (!uri) return "";
  const user = uri.user ? decodeURIComponent(uri.user) : "";
  if (!user) return uri.host || "";
  const host = uri.host;
  const local = host === config.domain || `[${host}]` === config.domain || host === config.domain.replace(/^\[|\]$/g, "");
  return local ? user : `${user}@${host}`;
}

function wantVideo() {
  return $("video-toggle").checked;
}

function newCall(s, direction, peer) {
  live.session = s;
  live.lastMediaError = null;
  live.call = {
    session: s,
    direction, // "outgoing" | "incoming"
    peer, // as shown
    startedAt: null, // Date.now() when answered
    rejectCode: null, // final response to our INVITE, and its reason phrase
    rejectReason: "",
    cancelledByUs: false,
    rejectedByUs: false,
    hungUpByUs: false,
    transferred: false, // ended by a transfer, either way
    mediaError: null, // getUserMedia failed for it
    video: false, // we asked for the camera
    offersVideo: false, // an incoming call's offer has video
    replaces: null, // after we were transferred: the call this one ends once answered
    ended: false, // Terminated was seen
  };
  state.direction = direction;
  state.peer = peer;
  state.muted = false;
  state.held = false;
  state.remoteHeld = false;
  state.videoOn = false;
  state.callDuration = 0;
  const thisCall = live.call;
  s.delegate = {
    onInfo: (info) => onInfo(info),
    onInvite: (request) => onReInvite(thisCall, request),
    onRefer: (referral) => onRefer(thisCall, referral),
    onSessionDescriptionHandler: () => {
      if (live.session === s) attachMedia();
    },
  };
  s.stateChange.addListener((st) => onSessionState(thisCall, st));
}

export async function startCall(rawTarget) {
  clearError();
  if (live.session) return;
  if (!live.ua || state.registration !== "registered") {
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
  const inviter = new Inviter(live.ua, target, { sessionDescriptionHandlerOptions: sdhOptions(video) });
  placeCall(inviter, peer, video);
}

function placeCall(inviter, peer, video) {
  newCall(inviter, "outgoing", peer);
  const thisCall = live.call;
  thisCall.video = video;
  state.videoOn = video;
  setCall("calling", `Calling ${peer}…`);
  addEvent(`Calling ${peer}${video ? " (video)" : ""}`);
  setTitle(`Calling ${peer}`);
  inviter
    .invite({
      requestDelegate: {
        onProgress: (response) => {
          const code = response.message.statusCode;
          if ((code === 180 || code === 183) && live.session === inviter && state.callState === "calling") {
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
      thisCall.mediaError = live.lastMediaError || e;
      if (inviter.state !== SessionState.Terminated && inviter.state !== SessionState.Terminating) {
        inviter.cancel().catch(() => {});
      }
      if (live.session !== inviter) return;
      // invite() failing before the INVITE left (no microphone) ends the call here
      if (inviter.state === SessionState.Terminated) onSessionState(thisCall, SessionState.Terminated);
    });
}

export function onIncomingCall(invitation) {
  const who = invitation.remoteIdentity;
  const peer = (who.displayName && who.displayName !== who.uri.user ? `${who.displayName} (${uriLabel(who.uri)})` : uriLabel(who.uri)) || "unknown";
  if (live.session) {
    invitation.reject({ statusCode: 486 }).catch(() => {});
    addEvent(`Call from ${peer} refused: busy on another call`);
    return;
  }
  newCall(invitation, "incoming", peer);
  live.call.offersVideo = sdpOffersVideo(invitation.request.body || "");
  setCall("incoming", `Incoming call from ${peer}`);
  addEvent(`Incoming call from ${peer}${live.call.offersVideo ? " (video)" : ""}`);
  setTitle(`Incoming call from ${peer}`);
}

export function answer() {
  if (!live.session || state.callState !== "incoming") return;
  clearError();
  const thisCall = live.call;
  const video = thisCall.offersVideo && wantVideo();
  thisCall.video = video;
  state.videoOn = video;
  setCall("incoming", "Answering…");
  live.session.accept({ sessionDescriptionHandlerOptions: sdhOptions(video) }).catch((e) => {
    thisCall.mediaError = live.lastMediaError || e;
  });
  // Invitation.accept() hides a getUserMedia failure (it answers 480 itself):
  // the mediaStreamFactory records it and callEnded explains it.
}

export function reject() {
  if (!live.session || state.callState !== "incoming") return;
  live.call.rejectedByUs = true;
  live.session.reject({ statusCode: 486 }).catch(() => {});
}

// Cancel, reject or hang up, whatever the call's state asks for.
export function hangup() {
  const s = live.session;
  if (!s) return;
  switch (s.state) {
    case SessionState.Initial:
    case SessionState.Establishing:
      if (s instanceof Inviter) {
        live.call.cancelledByUs = true;
        s.cancel().catch(() => {});
      } else {
        live.call.rejectedByUs = true;
        s.reject({ statusCode: 486 }).catch(() => {});
      }
      break;
    case SessionState.Established:
      live.call.hungUpByUs = true;
      s.bye().catch((e) => showError(`Could not hang up cleanly: ${e.message}`));
      break;
    default:
      break;
  }
}

// Closing the page: end the call without waiting for anything.
export function hangupOnClose() {
  const s = live.session;
  if (s && s.state === SessionState.Established) s.bye();
  else if (s) hangup();
}

function onSessionState(thisCall, st) {
  const s = thisCall.session;
  if (st === SessionState.Established) {
    if (thisCall.startedAt) return;
    thisCall.startedAt = Date.now();
    if (live.session !== s) return;
    // after a transfer to us: the transferor's call ends now
    if (thisCall.replaces && thisCall.replaces.state === SessionState.Established) {
      thisCall.replaces.bye().catch(() => {});
    }
    startClock();
    setCall("connected", "Connected");
    addEvent(`Connected with ${thisCall.peer}`);
    setTitle(`In call with ${thisCall.peer}`);
    attachMedia();
    applyTrackState();
    return;
  }
  if (st !== SessionState.Terminated || thisCall.ended) return;
  thisCall.ended = true;
  if (live.session !== s) return; // an old call (after a transfer) ending quietly
  // SIP.js reports Terminated before it hands the final response to the
  // request delegate (onReject): look at the outcome once that has run.
  setTimeout(() => callEnded(thisCall), 0);
}

function callEnded(thisCall) {
  if (live.session !== thisCall.session) return;
  stopClock(thisCall.startedAt);
  detachMedia();
  live.session = null;
  live.call = null;
  state.muted = state.held = state.remoteHeld = state.videoOn = false;
  setTitle();

  const code = thisCall.rejectCode || null;
  const { status, error, event } = describeCallEnd(thisCall, {
    mediaError: thisCall.mediaError || live.lastMediaError,
    duration: formatDuration(state.callDuration),
    mediaDevices: Boolean(navigator.mediaDevices),
  });
  if (event) addEvent(event);
  state.lastEndReason = { code, message: error || status };
  setCall("ended", status);
  if (error) showError(error, code);
}

// The other side's re-INVITE: held or resumed, and maybe new media.
function onReInvite(thisCall, request) {
  if (live.session !== thisCall.session) return;
  const held = sdpHolds(request.body || "");
  if (held !== state.remoteHeld) {
    state.remoteHeld = held;
    addEvent(held ? `${thisCall.peer} put the call on hold` : `${thisCall.peer} resumed the call`);
    if (state.callState === "connected") {
      setCallStatus(state.held ? "On hold" : held ? `Held by ${thisCall.peer}` : "Connected");
    }
  }
  setTimeout(() => {
    attachMedia();
    applyTrackState();
  }, 0);
  render();
}

// INFO from the other side: DTMF is shown, anything else only accepted.
function onInfo(info) {
  const tone = dtmfTone(info.request.getHeader("content-type") || "", info.request.body || "");
  info.accept().catch(() => {});
  if (tone) {
    state.dtmfReceived.push(tone);
    addEvent(`DTMF ${tone} received`);
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
      const old = live.session;
      // the old call goes on quietly in the background until it ends
      if (live.call) live.call.transferred = true;
      stopClock();
      detachMedia();
      placeCall(inviter, to, video);
      live.call.replaces = old;
    })
    .catch((e) => showError(`Transfer failed: ${e.message}`));
}
