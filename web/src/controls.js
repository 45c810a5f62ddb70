// controls.js - what the user does during a connected call: mute, hold and
// resume, video on/off, DTMF, blind transfer.
//
// Each acts on the current call (live.session and live.call, which call.js
// owns) and does nothing without a connected one. Writes state.muted, held,
// videoOn and dtmfSent, live.call.video and .transferred, and clears
// live.lastMediaError before asking for the camera. Disables #hold-btn and
// #video-btn while their re-INVITE runs.

import { SessionState } from "sip.js";
import { state, live } from "./state.js";
import { $, addEvent, showError, clearError, setCallStatus, render } from "./ui.js";
import { describeMediaError, describeReferRefusal, describeTransferFailure } from "./errors.js";
import { sipfragStatus } from "./sipbody.js";
import { sdhOptions, currentPc, localStream, attachMedia, applyTrackState } from "./media.js";
import { targetUri, uriLabel } from "./call.js";

function connected() {
  return live.session !== null && state.callState === "connected";
}

export function toggleMute() {
  if (!connected()) return;
  state.muted = !state.muted;
  applyTrackState();
  addEvent(state.muted ? "Microphone muted" : "Microphone on");
  render();
}

// Hold: a re-INVITE with our media sendonly (SIP.js's `hold`); resume: one
// without. The tracks follow once the other side accepted.
export async function toggleHold() {
  if (!connected()) return;
  const s = live.session;
  const hold = !state.held;
  const options = Object.assign({}, s.sessionDescriptionHandlerOptionsReInvite, sdhOptions(live.call.video), { hold });
  $("hold-btn").disabled = true;
  try {
    await s.invite({
      sessionDescriptionHandlerOptions: options,
      requestDelegate: {
        onAccept: () => {
          if (live.session !== s) return;
          state.held = hold;
          applyTrackState();
          setCallStatus(hold ? "On hold" : state.remoteHeld ? `Held by ${state.peer}` : "Connected");
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

// The camera on or off: the track alone once there is one, else a re-INVITE
// that adds it.
export async function toggleVideo() {
  if (!connected()) return;
  const s = live.session;
  const ls = localStream();
  const hasVideo = ls && ls.getVideoTracks().some((t) => t.readyState === "live");
  if (hasVideo) {
    state.videoOn = !state.videoOn;
    applyTrackState();
    addEvent(state.videoOn ? "Camera on" : "Camera off");
    render();
    return;
  }
  live.call.video = true;
  const options = Object.assign({}, s.sessionDescriptionHandlerOptionsReInvite, sdhOptions(true), { hold: state.held });
  $("video-btn").disabled = true;
  live.lastMediaError = null;
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
    const mediaError = live.lastMediaError;
    showError(mediaError ? describeMediaError(mediaError, true, Boolean(navigator.mediaDevices)) : `Could not start video: ${e.message}`);
  } finally {
    $("video-btn").disabled = false;
  }
}

// DTMF: RFC 4733 telephone-events through RTCDTMFSender, SIP INFO
// (application/dtmf-relay), or both, as #dtmf-mode says.
export function sendDtmf(tone) {
  if (!connected()) return;
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
    live.session
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

// Blind transfer: REFER, then hang up once the transferee took it (202).
export async function transfer(rawTarget) {
  if (!connected()) return;
  const target = targetUri(rawTarget);
  if (!target) {
    showError("Enter the number to transfer to.");
    return;
  }
  clearError();
  const s = live.session;
  const thisCall = live.call;
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
          showError(describeReferRefusal(code, response.message.reasonPhrase, thisCall.peer), code);
        },
      },
      onNotify: (notification) => {
        notification.accept().catch(() => {});
        const status = sipfragStatus(notification.request.body || "");
        if (!status) return;
        const { code, reason } = status;
        addEvent(`Transfer to ${to}: ${code} ${reason}`);
        if (code >= 200 && code < 300) finish(`Transferred ${thisCall.peer} to ${to}`);
        else if (code >= 300 && !finished) {
          finished = true;
          showError(describeTransferFailure(code, reason, to));
        }
      },
    });
  } catch (e) {
    showError(`Transfer failed: ${e.message}`);
  }
}
