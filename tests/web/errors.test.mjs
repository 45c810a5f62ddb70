// errors.test.mjs - web/src/errors.js: every text the web phone shows for a
// failure, compared exactly (node --test; run by tests/run-webunit.sh).

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  describeRegisterFailure,
  describeCallFailure,
  describeReferRefusal,
  describeTransferFailure,
  describeMediaError,
  describeCallEnd,
} from "../../web/src/errors.js";

// A DOMException-like error as getUserMedia rejects with.
const domError = (name, message = "") => Object.assign(new Error(message), { name });

test("REGISTER refused: wrong credentials, whatever the code", () => {
  for (const code of [401, 403, 407]) {
    assert.equal(describeRegisterFailure(code, "Forbidden", "1001", ""), "Wrong extension or password.", `code ${code}`);
  }
});

test("REGISTER refused: the other codes", () => {
  assert.equal(describeRegisterFailure(404, "Not Found", "1001", ""), "Extension 1001 not found on this server.");
  assert.equal(describeRegisterFailure(408, "Request Timeout", "1001", ""), "The server did not answer the registration.");
  assert.equal(describeRegisterFailure(423, "Interval Too Brief", "1001", ""), "The server refused the registration interval.");
  assert.equal(describeRegisterFailure(500, "Server Internal Error", "1001", ""), "Registration failed: 500 Server Internal Error.");
  assert.equal(describeRegisterFailure(503, "", "1001", ""), "Registration failed: 503.");
  assert.equal(describeRegisterFailure(503, undefined, "1001", ""), "Registration failed: 503.");
});

test("REGISTER refused: a challenge SIP.js cannot answer is no wrong password", () => {
  const sha = 'Digest realm="example.org", nonce="abc", algorithm=SHA-256, qop="auth"';
  const expected = "The server asks for SHA-256 digest authentication, which this phone (SIP.js) cannot do; it needs MD5.";
  assert.equal(describeRegisterFailure(401, "Unauthorized", "1001", sha), expected);
  assert.equal(describeRegisterFailure(407, "Proxy Authentication Required", "1001", sha), expected);
  assert.equal(
    describeRegisterFailure(401, "Unauthorized", "1001", 'Digest realm="r", ALGORITHM="SHA-512-256"'),
    "The server asks for SHA-512-256 digest authentication, which this phone (SIP.js) cannot do; it needs MD5.",
  );
  // MD5 (any case), or no algorithm at all (MD5 by default): the password was wrong
  assert.equal(describeRegisterFailure(401, "Unauthorized", "1001", 'Digest realm="r", algorithm=md5'), "Wrong extension or password.");
  assert.equal(describeRegisterFailure(401, "Unauthorized", "1001", 'Digest realm="r", algorithm="MD5"'), "Wrong extension or password.");
  assert.equal(describeRegisterFailure(401, "Unauthorized", "1001", 'Digest realm="r", nonce="n"'), "Wrong extension or password.");
});

test("INVITE refused: each code the phone explains", () => {
  const cases = [
    [401, "The server did not accept our credentials for this call (wrong password?)."],
    [407, "The server did not accept our credentials for this call (wrong password?)."],
    [403, "Calling 1002 is not allowed (403 Forbidden)."],
    [404, "Extension 1002 not found."],
    [604, "Extension 1002 not found."],
    [408, "No answer from 1002."],
    [410, "1002 no longer exists."],
    [480, "1002 is not available (not logged in)."],
    [484, "The number 1002 is incomplete."],
    [486, "1002 is busy."],
    [600, "1002 is busy."],
    [487, "Call cancelled."],
    [488, "1002 cannot take this call (no common audio or video format)."],
    [606, "1002 cannot take this call (no common audio or video format)."],
    [503, "The server cannot place calls right now (503 Service Unavailable)."],
    [603, "1002 declined the call."],
  ];
  for (const [code, text] of cases) assert.equal(describeCallFailure(code, "Reason", "1002"), text, `code ${code}`);
});

test("INVITE refused: other codes say code and reason; no peer is the other side", () => {
  assert.equal(describeCallFailure(500, "Server Internal Error", "1002"), "Server error: 500 Server Internal Error.");
  assert.equal(describeCallFailure(502, "", "1002"), "Server error: 502.");
  assert.equal(describeCallFailure(415, "Unsupported Media Type", "1002"), "Call failed: 415 Unsupported Media Type.");
  assert.equal(describeCallFailure(699, undefined, "1002"), "Call failed: 699.");
  assert.equal(describeCallFailure(486, "Busy Here", null), "The other side is busy.");
  assert.equal(describeCallFailure(404, "Not Found", "bob@example.org"), "Extension bob@example.org not found.");
});

test("REFER refused", () => {
  assert.equal(describeReferRefusal(405, "Method Not Allowed", "1002"), "1002 does not accept transfers (405 Method Not Allowed).");
  assert.equal(describeReferRefusal(501, "Not Implemented", "1002"), "1002 does not accept transfers (501 Not Implemented).");
  assert.equal(describeReferRefusal(603, "Decline", "1002"), "1002 does not accept transfers (603 Decline).");
  assert.equal(describeReferRefusal(403, "Forbidden", "1002"), "Transfer refused: 403 Forbidden.");
});

test("transfer failed after the REFER (NOTIFY with a final failure)", () => {
  assert.equal(describeTransferFailure(404, "Not Found", "1003"), "Transfer failed: extension 1003 not found.");
  assert.equal(describeTransferFailure(480, "Temporarily Unavailable", "1003"), "Transfer failed: 1003 is not available.");
  assert.equal(describeTransferFailure(486, "Busy Here", "1003"), "Transfer failed: 1003 is busy.");
  assert.equal(describeTransferFailure(600, "Busy Everywhere", "1003"), "Transfer failed: 1003 is busy.");
  assert.equal(describeTransferFailure(503, "Service Unavailable", "1003"), "Transfer failed: 503 Service Unavailable.");
  assert.equal(describeTransferFailure(408, "", "1003"), "Transfer failed: 408.");
});

test("getUserMedia: no permission", () => {
  for (const name of ["NotAllowedError", "PermissionDeniedError", "SecurityError"]) {
    assert.equal(
      describeMediaError(domError(name), false, true),
      "No permission to use the microphone. Allow it for this page in the browser (the icon in the address bar) and try again.",
      name,
    );
  }
  assert.equal(
    describeMediaError(domError("NotAllowedError"), true, true),
    "No permission to use the microphone and camera. Allow it for this page in the browser (the icon in the address bar) and try again.",
  );
});

test("getUserMedia: no device, device busy", () => {
  for (const name of ["NotFoundError", "DevicesNotFoundError", "OverconstrainedError"]) {
    assert.equal(describeMediaError(domError(name), false, true), "No microphone found. Connect one and try again.", name);
  }
  assert.equal(describeMediaError(domError("NotFoundError"), true, true), "No microphone and camera found. Connect one and try again.");
  for (const name of ["NotReadableError", "TrackStartError", "AbortError"]) {
    assert.equal(describeMediaError(domError(name), false, true), "The microphone cannot be opened; another program may be using it.", name);
  }
  assert.equal(describeMediaError(domError("NotReadableError"), true, true), "The microphone and camera cannot be opened; another program may be using it.");
});

test("getUserMedia: anything else, and pages that may not use media at all", () => {
  assert.equal(describeMediaError(domError("TypeError", "bad constraints"), false, true), "Could not start the microphone: bad constraints.");
  assert.equal(describeMediaError(domError("TypeError", "bad constraints"), true, true), "Could not start the microphone and camera: bad constraints.");
  assert.equal(describeMediaError("weird", false, true), "Could not start the microphone: weird.");
  assert.equal(describeMediaError(null, false, true), "Could not start the microphone: null.");
  const insecure = "This page must be opened over https (or from localhost) to use the microphone.";
  assert.equal(describeMediaError(new Error("Media devices not available in insecure contexts."), false, false), insecure);
  assert.equal(describeMediaError(null, true, false), insecure);
  // a named error is explained as such even on such a page
  assert.equal(describeMediaError(domError("NotAllowedError"), false, false).startsWith("No permission"), true);
});

// The bookkeeping call.js keeps of a call (newCall), with `fields` changed.
const call = (fields) => ({
  direction: "outgoing",
  peer: "1002",
  startedAt: null,
  rejectCode: null,
  rejectReason: "",
  cancelledByUs: false,
  rejectedByUs: false,
  hungUpByUs: false,
  transferred: false,
  video: false,
  ...fields,
});
const end = (fields, more = {}) => describeCallEnd(call(fields), { mediaError: null, duration: "01:05", mediaDevices: true, ...more });

test("call end: an answered call says who hung up and how long it took", () => {
  assert.deepEqual(end({ startedAt: 1 }), { status: "Call ended", event: "1002 hung up (01:05)" });
  assert.deepEqual(end({ startedAt: 1, hungUpByUs: true }), { status: "Call ended", event: "You hung up (01:05)" });
  assert.deepEqual(end({ startedAt: 1, transferred: true, hungUpByUs: true }), { status: "Call ended", event: "Call transferred (01:05)" });
  // answered wins over everything else that happened on the way
  assert.deepEqual(end({ startedAt: 1, rejectCode: 486 }, { mediaError: domError("NotAllowedError") }), {
    status: "Call ended",
    event: "1002 hung up (01:05)",
  });
});

test("call end: no microphone is the error, whatever SIP said", () => {
  assert.deepEqual(end({ rejectCode: 480, direction: "incoming" }, { mediaError: domError("NotAllowedError") }), {
    status: "Call failed",
    error: "No permission to use the microphone. Allow it for this page in the browser (the icon in the address bar) and try again.",
  });
  assert.deepEqual(end({ video: true, cancelledByUs: true }, { mediaError: domError("NotFoundError") }), {
    status: "Call failed",
    error: "No microphone and camera found. Connect one and try again.",
  });
  assert.deepEqual(end({}, { mediaError: new Error("x"), mediaDevices: false }), {
    status: "Call failed",
    error: "This page must be opened over https (or from localhost) to use the microphone.",
  });
});

test("call end: cancelled, rejected, missed", () => {
  assert.deepEqual(end({ cancelledByUs: true, rejectCode: 487 }), { status: "Call cancelled", event: "Call to 1002 cancelled" });
  assert.deepEqual(end({ direction: "incoming", rejectedByUs: true }), { status: "Call rejected", event: "Call from 1002 rejected" });
  assert.deepEqual(end({ direction: "incoming" }), { status: "Missed call", event: "Missed call from 1002" });
});

test("call end: refused by the other side or the server", () => {
  assert.deepEqual(end({ rejectCode: 486, rejectReason: "Busy Here" }), { status: "Busy", error: "1002 is busy." });
  assert.deepEqual(end({ rejectCode: 600, rejectReason: "Busy Everywhere" }), { status: "Busy", error: "1002 is busy." });
  assert.deepEqual(end({ rejectCode: 404, rejectReason: "Not Found", peer: "9999" }), { status: "Call failed", error: "Extension 9999 not found." });
  assert.deepEqual(end({ rejectCode: 480, rejectReason: "Temporarily Unavailable" }), {
    status: "Call failed",
    error: "1002 is not available (not logged in).",
  });
  assert.deepEqual(end({ rejectCode: 580, rejectReason: "Precondition Failure" }), { status: "Call failed", error: "Server error: 580 Precondition Failure." });
});

test("call end: no final response at all", () => {
  assert.deepEqual(end({}), { status: "Call failed", error: "The call to 1002 failed (no answer from the server)." });
});
