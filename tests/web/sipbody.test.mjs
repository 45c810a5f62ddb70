// sipbody.test.mjs - web/src/sipbody.js: what the web phone reads out of SIP
// bodies (node --test; run by tests/run-webunit.sh).

import { test } from "node:test";
import assert from "node:assert/strict";
import { sdpHolds, sdpOffersVideo, dtmfTone, sipfragStatus } from "../../web/src/sipbody.js";

// An SDP as on the wire (CRLF), an audio and optionally a video section;
// `audio` and `video` are the lines after each m= line.
function sdp({ audio = ["a=sendrecv"], video = null, connection = "c=IN IP4 192.0.2.1" } = {}) {
  const lines = ["v=0", "o=- 1 2 IN IP4 192.0.2.1", "s=-", connection, "t=0 0", "m=audio 40000 RTP/AVP 0 101", ...audio];
  if (video) lines.push("m=video 40002 RTP/AVP 96", ...video);
  return lines.join("\r\n") + "\r\n";
}

test("sdpHolds: sendonly or inactive audio holds the call", () => {
  assert.equal(sdpHolds(sdp({ audio: ["a=rtpmap:0 PCMU/8000", "a=sendonly"] })), true);
  assert.equal(sdpHolds(sdp({ audio: ["a=inactive"] })), true);
  assert.equal(sdpHolds(sdp({ audio: ["a=sendrecv"] })), false);
  assert.equal(sdpHolds(sdp({ audio: ["a=recvonly"] })), false);
  assert.equal(sdpHolds(sdp({ audio: [] })), false);
});

test("sdpHolds: only the audio section counts; c=0.0.0.0 is the old way", () => {
  assert.equal(sdpHolds(sdp({ audio: ["a=sendrecv"], video: ["a=sendonly"] })), false);
  assert.equal(sdpHolds(sdp({ audio: ["a=sendonly"], video: ["a=sendrecv"] })), true);
  assert.equal(sdpHolds(sdp({ audio: ["c=IN IP4 0.0.0.0", "a=sendrecv"] })), true);
  // no m=audio at all: the whole body is looked at
  assert.equal(sdpHolds("v=0\r\nc=IN IP4 0.0.0.0\r\n"), true);
  assert.equal(sdpHolds("v=0\r\na=inactive\r\n"), true);
  assert.equal(sdpHolds(""), false);
  // an attribute that only starts like one
  assert.equal(sdpHolds(sdp({ audio: ["a=sendonlyx"] })), false);
});

test("sdpOffersVideo: a video stream that is not turned off", () => {
  assert.equal(sdpOffersVideo(sdp({ video: ["a=sendrecv"] })), true);
  assert.equal(sdpOffersVideo(sdp({ video: ["a=sendrecv"] }).replace("m=video 40002", "m=video 0")), false);
  assert.equal(sdpOffersVideo(sdp()), false);
  assert.equal(sdpOffersVideo(""), false);
});

test("dtmfTone: application/dtmf-relay", () => {
  assert.equal(dtmfTone("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n"), "5");
  assert.equal(dtmfTone("application/dtmf-relay", "Signal= #\r\nDuration=160\r\n"), "#");
  assert.equal(dtmfTone("Application/DTMF-Relay", "signal=*\r\n"), "*");
  assert.equal(dtmfTone("application/dtmf-relay", "Signal=d\r\n"), "D");
  assert.equal(dtmfTone("application/dtmf-relay", "Duration=160\r\n"), null);
  assert.equal(dtmfTone("application/dtmf-relay", "Signal=E\r\n"), null);
});

test("dtmfTone: application/dtmf, and other bodies", () => {
  assert.equal(dtmfTone("application/dtmf", "9"), "9");
  assert.equal(dtmfTone("application/dtmf", "  b\r\n"), "B");
  assert.equal(dtmfTone("application/dtmf", ""), null);
  assert.equal(dtmfTone("application/dtmfx", "9"), null);
  assert.equal(dtmfTone("text/plain", "Signal=5"), null);
  assert.equal(dtmfTone("", ""), null);
});

test("sipfragStatus: the status line of a NOTIFY's message/sipfrag", () => {
  assert.deepEqual(sipfragStatus("SIP/2.0 100 Trying\r\n"), { code: 100, reason: "Trying" });
  assert.deepEqual(sipfragStatus("SIP/2.0 200 OK\r\n"), { code: 200, reason: "OK" });
  assert.deepEqual(sipfragStatus("SIP/2.0 486 Busy Here\r\nContent-Length: 0\r\n"), { code: 486, reason: "Busy Here" });
  assert.deepEqual(sipfragStatus("SIP/2.0 603"), { code: 603, reason: "" });
  assert.equal(sipfragStatus(""), null);
  assert.equal(sipfragStatus("INVITE sip:1003@example.org SIP/2.0\r\n"), null);
});
