// errors.js - failures in plain words: SIP responses, SIP.js and getUserMedia
// errors turned into the text the phone shows the user.
//
// Pure functions of their arguments: no DOM, no SIP.js, no state. What a text
// depends on (the peer, our extension, whether the page may use media devices
// at all) is passed in, so that tests/web/errors.test.mjs can check every
// text with node. Imports nothing.

// "Call failed: 499 Odd." from a code and a reason phrase that may be empty.
function withCode(prefix, code, reason) {
  return `${prefix}: ${code} ${reason || ""}`.trim() + ".";
}

// A REGISTER refused with `code`. `challenge` is the WWW-Authenticate (401)
// or Proxy-Authenticate (407) header, "" for other codes.
export function describeRegisterFailure(code, reason, extension, challenge) {
  // SIP.js 0.21 answers only MD5 challenges, and looks only at the last
  // WWW-Authenticate header: a 401 it did not even try is no wrong password.
  const algorithm = (/algorithm\s*=\s*"?([\w-]+)/i.exec(challenge) || [])[1];
  if (algorithm && algorithm.toUpperCase() !== "MD5") {
    return `The server asks for ${algorithm} digest authentication, which this phone (SIP.js) cannot do; it needs MD5.`;
  }
  switch (code) {
    case 401:
    case 403:
    case 407:
      return "Wrong extension or password.";
    case 404:
      return `Extension ${extension} not found on this server.`;
    case 408:
      return "The server did not answer the registration.";
    case 423:
      return "The server refused the registration interval.";
    default:
      return withCode("Registration failed", code, reason);
  }
}

// Our INVITE to `peer` (as shown to the user) refused with `code`.
export function describeCallFailure(code, reason, peer) {
  const who = peer || "The other side";
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
      if (code >= 500 && code < 600) return withCode("Server error", code, reason);
      return withCode("Call failed", code, reason);
  }
}

// Our REFER to `peer` refused with `code`: the transfer never started.
export function describeReferRefusal(code, reason, peer) {
  if (code === 405 || code === 501 || code === 603) return `${peer} does not accept transfers (${code} ${reason}).`;
  return `Transfer refused: ${code} ${reason}.`;
}

// The transferee's call to `target` failed with `code` (from a NOTIFY).
export function describeTransferFailure(code, reason, target) {
  if (code === 404) return `Transfer failed: extension ${target} not found.`;
  if (code === 480) return `Transfer failed: ${target} is not available.`;
  if (code === 486 || code === 600) return `Transfer failed: ${target} is busy.`;
  return withCode("Transfer failed", code, reason);
}

// getUserMedia failed with `err` for a call with or without `video`.
// `mediaDevices`: the page has navigator.mediaDevices (only secure pages do).
export function describeMediaError(err, video, mediaDevices) {
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
      if (!mediaDevices) {
        return "This page must be opened over https (or from localhost) to use the microphone.";
      }
      return `Could not start the ${device}: ${(err && err.message) || err}.`;
  }
}

// How a call ended, from its bookkeeping (call.js's newCall): the status line
// and either an error for the error box or an event for the events panel.
// `mediaError`: why getUserMedia failed before the call started, if it did;
// `duration`: the talk time as shown ("01:05"); `mediaDevices` as above.
export function describeCallEnd(call, { mediaError, duration, mediaDevices }) {
  if (call.startedAt) {
    const who = call.transferred ? "Call transferred" : call.hungUpByUs ? "You hung up" : `${call.peer} hung up`;
    return { status: "Call ended", event: `${who} (${duration})` };
  }
  if (mediaError) return { status: "Call failed", error: describeMediaError(mediaError, call.video, mediaDevices) };
  if (call.cancelledByUs) return { status: "Call cancelled", event: `Call to ${call.peer} cancelled` };
  if (call.rejectedByUs) return { status: "Call rejected", event: `Call from ${call.peer} rejected` };
  if (call.direction === "incoming") return { status: "Missed call", event: `Missed call from ${call.peer}` };
  const code = call.rejectCode;
  if (code) {
    return { status: code === 486 || code === 600 ? "Busy" : "Call failed", error: describeCallFailure(code, call.rejectReason, call.peer) };
  }
  return { status: "Call failed", error: `The call to ${call.peer} failed (no answer from the server).` };
}
