// sipbody.js - what the phone reads out of SIP message bodies: whether an
// SDP puts the call on hold or offers video, the tone of a DTMF INFO, the
// status line of a transfer NOTIFY (message/sipfrag).
//
// Pure functions of strings, checked by tests/web/sipbody.test.mjs with node.
// Imports nothing.

// The other side's offer holds the call: its audio section (the whole SDP
// when there is none) is sendonly or inactive, or has the old c=0.0.0.0.
export function sdpHolds(sdp) {
  const audio = /^m=audio[\s\S]*?(?=^m=|(?![\s\S]))/m.exec(sdp);
  const section = audio ? audio[0] : sdp;
  return /^a=(sendonly|inactive)\s*$/m.test(section) || /^c=IN IP4 0\.0\.0\.0/m.test(section);
}

// The offer has a video stream that is not turned off (port 0).
export function sdpOffersVideo(sdp) {
  return /^m=video [1-9]/m.test(sdp);
}

// The tone (0-9, A-D, * or #) of an INFO's body: application/dtmf-relay
// ("Signal=5") or application/dtmf ("5"); null when there is none.
export function dtmfTone(contentType, body) {
  let m = null;
  if (/^application\/dtmf-relay/i.test(contentType)) m = /Signal\s*=\s*([0-9A-D#*])/i.exec(body);
  else if (/^application\/dtmf\b/i.test(contentType)) m = /^\s*([0-9A-D#*])/i.exec(body);
  return m ? m[1].toUpperCase() : null;
}

// { code, reason } of the SIP status line in a NOTIFY's message/sipfrag body,
// null when it holds none.
export function sipfragStatus(body) {
  const m = /SIP\/2\.0\s+(\d{3})\s*([^\r\n]*)/.exec(body);
  return m ? { code: Number(m[1]), reason: m[2] } : null;
}
