// media.js - microphone, camera and the call's streams: getUserMedia for
// SIP.js (remembering why it failed), the <audio> and <video> elements, and
// mute, hold and video on/off applied to the tracks.
//
// The streams and the RTCPeerConnection are the current session's (SIP.js's
// session description handler); nothing here keeps them. Owns the elements
// #remote-audio, #remote-video, #local-video and #media. Reads state and
// live.session, writes live.lastMediaError. Imports state only: ui.js
// imports this module, so it finds its elements itself.

import { state, live } from "./state.js";

const $ = (id) => document.getElementById(id);

// getUserMedia through SIP.js, remembering the error so that the call can
// explain it (SIP.js turns a failed answer into a plain 480 otherwise).
export function mediaStreamFactory(constraints) {
  if (!constraints.audio && !constraints.video) return Promise.resolve(new MediaStream());
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    const e = new Error("Media devices not available in insecure contexts.");
    live.lastMediaError = e;
    return Promise.reject(e);
  }
  return navigator.mediaDevices.getUserMedia(constraints).catch((e) => {
    live.lastMediaError = e;
    throw e;
  });
}

// What SIP.js asks getUserMedia for in an INVITE, answer or re-INVITE.
export function sdhOptions(video) {
  return { constraints: { audio: true, video: !!video } };
}

function currentSdh() {
  const session = live.session;
  return session && session.sessionDescriptionHandler ? session.sessionDescriptionHandler : null;
}

export function currentPc() {
  const sdh = currentSdh();
  return sdh ? sdh.peerConnection : undefined;
}

export function remoteStream() {
  const sdh = currentSdh();
  return sdh ? sdh.remoteMediaStream : null;
}

export function localStream() {
  const sdh = currentSdh();
  return sdh ? sdh.localMediaStream : null;
}

export function attachMedia() {
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

export function detachMedia() {
  for (const id of ["remote-audio", "remote-video", "local-video"]) $(id).srcObject = null;
  $("media").hidden = true;
}

// The video area: shown during a call with video from either side.
export function updateMediaView() {
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

// Mute, hold and video on/off act on the tracks (hold also re-INVITEs, in
// controls.js).
export function applyTrackState() {
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
