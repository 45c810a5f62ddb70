#!/usr/bin/env python3
"""test_anchor.py BUILD_DIR - media anchoring of the calls rtcbridge's own
proxy forwards (src/proxy/anchor.h), checked at the SIP level with stdlib
clients: a "browser" registered over WebSocket and "phones" registered over
UDP, all with digest auth. Relay ports 25900-25999 (no other test uses them).

anchor = auto:
  1. browser -> phone with a WebRTC offer (UDP/TLS/RTP/SAVPF, ICE, DTLS
     fingerprint, setup:actpass, rtcp-mux, a candidate): the phone gets
     RTP/AVP on a relay port at 127.0.0.1, no ICE/DTLS/crypto lines, no
     rtcp-mux and an a=rtcp naming the relay; its plain 200 reaches the
     browser as WebRTC (ice-lite, our ufrag/pwd, one host candidate on the
     relay port, sha-256 fingerprint, setup:passive, rtcp-mux); every
     Content-Length matches its body; the ACK reaches the phone. While it
     is up `rtcbridge-ctl calls` lists it alone: Call-ID, browser -> phone
     URIs, answered, media relayed, codec opus/48000. After the BYE (4):
     "0 calls", and `cdrs 5` has its CDR: answered (200), ended by callee,
     media relayed.
  2. phone -> browser: the browser gets a WebRTC offer (setup:actpass),
     answers WebRTC (setup:active), the phone gets a plain answer.
  3. in call 1, a re-INVITE from the phone puts the call on hold (sendonly):
     the browser gets it WebRTC on the same relay port with the same ICE
     credentials, still sendonly (directions pass through, ports stay),
     answers recvonly and the phone gets a plain recvonly answer on its
     first relay port; the resume (sendrecv) likewise.
  4. BYE from the phone (call 1) and from the browser (call 2) release the
     media ("media: call <Call-ID>: deleted" in the log); so does a CANCELled
     INVITE (browser cancels while the phone rings), by the time of the 487.
     That call is in `calls` as ringing with media relayed while it rings,
     gone after; its CDR says cancelled (487), no talk time, media relayed.
  5. late offer: phone -> browser INVITE without SDP reaches the browser
     without a body; the browser's WebRTC offer in its 200 reaches the phone
     plain; the phone's ACK with a plain answer reaches the browser as a
     WebRTC answer (setup:passive).
  7a. phone -> phone: SDP unchanged both ways (direct media); `calls` lists
     it answered with media direct; after the caller's BYE "0 calls" and a
     CDR answered (200), ended by caller, media direct.
  8. a malformed SDP in an anchored INVITE (either direction) gets
     "488 Failed to parse SDP", the callee never sees it, `calls` does not
     keep it, the daemon stays up.
  9. phone -> phone refused busy (486 from the callee) and CANCELled while
     ringing: `calls` lists each as ringing (media direct) until the final
     response, then "0 calls"; CDRs busy (486) and cancelled (487), not
     answered, media direct.
anchor = always (second daemon):
  7b. phone -> phone: both SDPs point at relay ports, and plain RTP flows
     through the relay both ways with payloads unchanged; a hold re-INVITE
     from A (sendonly) keeps the relay ports, RTP A -> B still flows and
     nothing is forwarded to A; after the resume both ways flow again.
  10. in 7b, B sends its 200 again before the ACK: the proxy forwards the
     retransmission to A (RFC 6026) with the SDP rewritten as the first
     time (same relay port, same body).
  11. in 7b, after 10 packets each way `calls` lists exactly that call:
     Call-ID, phone -> phone2 URIs, answered, media relayed, codec
     PCMU/8000, a caller leg on A's relay port with A's address and a
     callee leg on B's, packets in = what that phone sent and out = what
     reached it through the relay; after the hold/resume packets the
     counts have grown to the new totals.
  12. after B's BYE: "0 calls"; `cdrs 5` has the call once: answered (200),
     talked, ended by callee, media relayed PCMU/8000, caller in / callee
     in = the packets A / B sent.
  9. as in auto mode, but media relayed in `calls` and in the CDRs.
  13. a new call with RTP both ways; (a) B re-INVITEs naming a NEW RTP port
     (a new socket): A gets it on the same relay port, B's 200 on its
     relay port; after the ACK RTP from A reaches B's new port and none
     its old one, RTP B sends from the new port reaches A, and `calls`
     shows B's leg remote at the new port; (b) the same for A (the
     caller) moving to a new port. Then B's BYE: "0 calls".
  14. a new call: hold (a=sendonly) and resume by UPDATE from A instead
     of re-INVITE: rewritten like a re-INVITE (UPDATE at B and its 200 at
     A on the same relay ports, directions kept), RTP A -> B flows, B -> A
     is not forwarded while A holds and flows again after the resume.
  15. early media: B answers 183 with SDP (no 180) before its 200: A gets
     the 183 on a relay port (not B's own), `calls` lists it ringing and
     relayed, RTP B -> A and A -> B flow before the 200; the 200 names
     the 183's relay port and media flows both ways after the ACK.
  16. forked early media: phone3 registered from two UDP contacts; A's
     INVITE reaches both, naming the same relay port (one relay leg per
     side); each answers 183 with SDP (own To tag, own port): both 183s
     reach A rewritten on one relay port (127.0.0.1) and RTP from each
     branch reaches A after its 183; then RTP A -> relay reaches branch 2
     (the latest 183) only; branch 1 answers 200 on the 183s' relay port:
     branch 2 is CANCELled (its 487 ACKed), and RTP A -> relay reaches
     branch 1 only, branch 1 -> A flows.
anchor = never (third daemon):
  6. browser -> phone: the INVITE's SDP reaches the phone byte-identical.
anchor = auto with [media] timeout = 2 (fourth daemon, browser and phone):
  17. browser -> phone; the phone answers 180 (no SDP) and rings 8 s, well
     past the timeout and the call list's 1 s sweep (ringing calls never
     time out: Timer C ends them), no media at all: `calls`, read every
     0.5 s, lists it ringing with media relayed every time (some 10
     listings after the timeout and a sweep, the last after 7 s); the log
     has no "media: call <Call-ID>: deleted" for it. The phone's plain 200 reaches
     the browser as WebRTC (ice-lite, our ICE credentials, one candidate
     on a relay port, our fingerprint, setup:passive), the ACK reaches the
     phone, and `calls` lists it answered, relayed, opus/48000.
  18. then neither side sends anything: within timeout + sweep + 2 s of the
     200 (and not before the timeout) the call list ends the call ("call
     <Call-ID>: answered (200) ... ended by no media") and the relay
     releases it; `calls` says "0 calls"; `cdrs 5` has the call: answered
     (200), talked, ended by "no media", media relayed (its quality read
     before the relay let go).
After each daemon's stop `rtcbridge-ctl calls` exits non-zero naming
control.sock. All on loopback, every wait bounded (`calls` and `cdrs` are
polled for at most 1.5 s and 2 s: the relay counts and the store commits
on their own schedule; an RTP exchange waits at most 2 s for what must
arrive, 0.6 s to see that nothing does, 0.1 s more for strays at a
phone's old port; 17 rings 8 s, 18 waits at most 5 s for the relay's
timeout and 6.5 s for the sweep).
"""
import os
import re
import select
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import siplib  # noqa: E402
from siplib import status_of  # noqa: E402
from medialib import (BROWSER_FP, audio_port, browser_sdp, c_addrs, check_content_length,  # noqa: E402
                      check_content_type, check_plain, check_webrtc, media_socket, phone_sdp, rtp,
                      sdp_text as text, send_and_receive)

HOST = "127.0.0.1"
PORT_MIN, PORT_MAX = 25900, 25999
RELAY_PORTS = (PORT_MIN, PORT_MAX)
NAME = "test_anchor"

RTP_STRIDE = 7  # payload byte i of RTP packet seq: seq * 7 + i (medialib.rtp)


def extra(mode, timeout=None):
    """The [media] section; timeout: its `timeout` (s), else the default."""
    return """
[media]
anchor = %s
port_min = %d
port_max = %d
bind_address = %s
workers = 1
%s""" % (mode, PORT_MIN, PORT_MAX, HOST, "timeout = %d\n" % timeout if timeout is not None else "")


# ---- SDP -------------------------------------------------------------------

def direction(sdp):
    found = re.findall(r"^a=(sendrecv|sendonly|recvonly|inactive)\s*$", sdp, re.M)
    return found[-1] if found else "sendrecv"


def in_range(port):
    return port is not None and PORT_MIN <= port <= PORT_MAX


# ---- user agents -------------------------------------------------------------

def uri_of(value):
    """The URI inside a name-addr (or the addr-spec itself)."""
    m = re.search(r"<([^>]*)>", value or "")
    return m.group(1) if m else (value or "").split(";")[0].strip()


def tag_of(value):
    m = re.search(r";\s*tag=([^;>\s]+)", value or "")
    return m.group(1) if m else None


def record_routes(msg):
    out = []
    for v in msg.get_all("record-route"):
        out += [e.strip() for e in re.findall(r"<[^>]*>[^,]*", v)]
    return out


class UA:
    """A user agent on one connection: a browser over WS or a phone over UDP.
    Messages that arrive are queued; expect() takes the first that matches."""

    def __init__(self, kind, user, password):
        self.kind = kind
        self.user = user
        self.password = password
        if kind == "browser":
            self.conn = siplib.Connection("ws", HOST, siplib.HTTP_PORT)
            if not self.conn.handshake or not self.conn.handshake.startswith("HTTP/1.1 101"):
                raise AssertionError("WebSocket upgrade refused: %r" % self.conn.handshake)
            self.contact_uri = "sip:%s@%s;transport=ws" % (siplib.token(8), self.conn.invalid_host)
            self.contact = "<%s>;+sip.instance=\"<urn:uuid:%s-%s>\";reg-id=1" % (
                self.contact_uri, siplib.token(8), siplib.token(12))
        else:
            self.conn = siplib.Connection("udp", HOST, siplib.SIP_PORT)
            self.contact_uri = "sip:%s@%s:%d" % (user, HOST, self.conn.local_port)
            self.contact = "<%s>" % self.contact_uri
        self.aor = "sip:%s@%s" % (user, HOST)
        self.queue = []
        self.cseq = 100

    def send(self, data):
        self.conn.send(data)

    def expect(self, pred, timeout=3.0):
        deadline = time.monotonic() + timeout
        while True:
            for i, m in enumerate(self.queue):
                if pred(m):
                    return self.queue.pop(i)
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.queue.extend(self.conn.receive(min(0.1, left)))

    def drain(self, wait=0.05):
        self.queue.extend(self.conn.receive(wait))
        self.queue = []

    def expect_request(self, method, call_id, timeout=3.0, cseq=None):
        def pred(m):
            return m.method == method and m.call_id == call_id and (
                cseq is None or m.get("cseq", "").split()[0] == str(cseq))
        return self.expect(pred, timeout)

    def expect_response(self, call_id, method, cseq=None, final=True, status=None, timeout=3.0):
        def pred(m):
            parts = m.get("cseq", "").split()
            return (m.status is not None and m.call_id == call_id and len(parts) == 2
                    and parts[1] == method and (cseq is None or parts[0] == str(cseq))
                    and (not final or m.status >= 200) and (status is None or m.status == status))
        return self.expect(pred, timeout)

    def respond(self, req, status, reason, to_tag=None, body=b"", extra=()):
        """A response to req: Vias, From, To (+tag), Call-ID, CSeq copied;
        Record-Route and Contact for an INVITE's 1xx/2xx."""
        lines = ["SIP/2.0 %d %s" % (status, reason)]
        lines += ["Via: %s" % v for v in req.get_all("via")]
        lines.append("From: %s" % req.get("from"))
        to = req.get("to")
        if to_tag and tag_of(to) is None:
            to += ";tag=" + to_tag
        lines.append("To: %s" % to)
        lines.append("Call-ID: %s" % req.call_id)
        lines.append("CSeq: %s" % req.get("cseq"))
        if req.method == "INVITE" and status < 300:
            lines += ["Record-Route: %s" % v for v in req.get_all("record-route")]
            lines.append("Contact: <%s>" % self.contact_uri)
        lines += list(extra)
        if isinstance(body, str):
            body = body.encode()
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append("Content-Length: %d" % len(body))
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    def register(self):
        call_id = siplib.token(16) + "@" + NAME
        from_tag = siplib.token(8)
        ruri = "sip:%s" % HOST
        authz = None
        for cseq in (1, 2):
            headers = ["Supported: path, outbound"] if self.kind == "browser" else []
            if authz:
                headers.append("Authorization: " + authz)
            self.send(siplib.build_request(self.conn, "REGISTER", ruri, self.aor, call_id=call_id,
                                           cseq=cseq, from_tag=from_tag, contact=self.contact,
                                           expires=300, headers=headers))
            r = self.expect_response(call_id, "REGISTER", cseq)
            if r is None or r.status != 401:
                return r
            authz = siplib.digest_authorization(r.get("www-authenticate"), "REGISTER", ruri,
                                                self.user, self.password)
        return r

    def close(self):
        self.conn.close()


class Call:
    """One dialog as seen by one UA (the caller or the callee)."""

    def __init__(self, ua, call_id, local_uri, local_tag, remote_uri, remote_tag=None):
        self.ua = ua
        self.call_id = call_id
        self.local_uri, self.local_tag = local_uri, local_tag
        self.remote_uri, self.remote_tag = remote_uri, remote_tag
        self.route = []
        self.target = remote_uri
        self.invite_cseq = 1
        self.invite_bytes = None

    # -- the caller
    @classmethod
    def start(cls, ua, callee, body, content_type="application/sdp"):
        """INVITE callee, answering the 407 once; the Call with the INVITE
        that went out. The first response after the challenge is not read."""
        call = cls(ua, siplib.token(16) + "@" + NAME, ua.aor, siplib.token(8),
                   "sip:%s@%s" % (callee, HOST))
        call.body = body.encode() if isinstance(body, str) else body
        call.content_type = content_type
        call.send_invite()
        first = ua.expect_response(call.call_id, "INVITE", 1)
        if first is None or first.status != 407:
            raise AssertionError("INVITE without credentials: %s, not 407" % (first.start if first else
                                                                                  "no answer"))
        call.ack_failure(first)
        authz = siplib.digest_authorization(first.get("proxy-authenticate"), "INVITE", call.remote_uri,
                                            ua.user, ua.password)
        call.invite_cseq = 2
        call.send_invite(["Proxy-Authorization: " + authz])
        return call

    def send_invite(self, extra=()):
        headers = list(extra)
        if self.body:
            headers.append("Content-Type: " + self.content_type)
        self.invite_bytes = siplib.build_request(
            self.ua.conn, "INVITE", self.remote_uri, self.local_uri, to_uri=self.remote_uri,
            call_id=self.call_id, cseq=self.invite_cseq, from_tag=self.local_tag,
            contact=self.ua.contact if self.ua.kind != "browser" else "<%s>" % self.ua.contact_uri,
            headers=headers, body=self.body)
        self.invite = siplib.Message(self.invite_bytes)
        self.ua.send(self.invite_bytes)

    def ack_failure(self, resp):
        """The ACK of a non-2xx final response: hop by hop, the INVITE's branch."""
        branch = re.search(r"branch=([^;\s]+)", self.invite.get("via")).group(1)
        self.ua.send(siplib.build_request(
            self.ua.conn, "ACK", self.remote_uri, self.local_uri, to_uri=self.remote_uri,
            call_id=self.call_id, cseq=int(self.invite.get("cseq").split()[0]), branch=branch,
            from_tag=self.local_tag, to_tag=tag_of(resp.get("to"))))

    def cancel(self):
        branch = re.search(r"branch=([^;\s]+)", self.invite.get("via")).group(1)
        self.ua.send(siplib.build_request(
            self.ua.conn, "CANCEL", self.remote_uri, self.local_uri, to_uri=self.remote_uri,
            call_id=self.call_id, cseq=self.invite_cseq, branch=branch, from_tag=self.local_tag))

    def established(self, ok):
        """The caller got the 2xx: dialog state from it."""
        self.remote_tag = tag_of(ok.get("to"))
        self.route = list(reversed(record_routes(ok)))
        self.target = uri_of(ok.get("contact"))

    def ack(self, body=b""):
        headers = ["Route: %s" % r for r in self.route]
        if body:
            headers.append("Content-Type: application/sdp")
        self.ua.send(siplib.build_request(
            self.ua.conn, "ACK", self.target, self.local_uri, to_uri=self.remote_uri,
            call_id=self.call_id, cseq=self.invite_cseq, from_tag=self.local_tag,
            to_tag=self.remote_tag, headers=headers, body=body))

    # -- the callee
    @classmethod
    def accept(cls, ua, invite):
        call = cls(ua, invite.call_id, uri_of(invite.get("to")), siplib.token(8),
                   uri_of(invite.get("from")), tag_of(invite.get("from")))
        call.route = record_routes(invite)
        call.target = uri_of(invite.get("contact"))
        call.invite = invite
        return call

    # -- either side
    def request(self, method, body=b""):
        """An in-dialog request (re-INVITE, UPDATE, BYE); returns its CSeq.
        The target refresh requests (INVITE, UPDATE) carry a Contact."""
        self.ua.cseq += 1
        headers = ["Route: %s" % r for r in self.route]
        if body:
            headers.append("Content-Type: application/sdp")
        self.ua.send(siplib.build_request(
            self.ua.conn, method, self.target, self.local_uri, to_uri=self.remote_uri,
            call_id=self.call_id, cseq=self.ua.cseq, from_tag=self.local_tag, to_tag=self.remote_tag,
            headers=headers, body=body,
            contact="<%s>" % self.ua.contact_uri if method in ("INVITE", "UPDATE") else None))
        return self.ua.cseq

    def ack_in_dialog(self, cseq, body=b""):
        headers = ["Route: %s" % r for r in self.route]
        if body:
            headers.append("Content-Type: application/sdp")
        self.ua.send(siplib.build_request(
            self.ua.conn, "ACK", self.target, self.local_uri, to_uri=self.remote_uri,
            call_id=self.call_id, cseq=cseq, from_tag=self.local_tag, to_tag=self.remote_tag,
            headers=headers, body=body))


# ---- the daemon log ------------------------------------------------------------

def log_text(daemon):
    try:
        with open(daemon.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def wait_log(daemon, needle, timeout=2.0):
    deadline = time.monotonic() + timeout
    while True:
        if needle in log_text(daemon):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def wait_log_from(daemon, mark, needle, timeout):
    """As wait_log, in what the log got after its first mark characters."""
    deadline = time.monotonic() + timeout
    while True:
        if needle in log_text(daemon)[mark:]:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def deleted_line(call_id):
    return "media: call %s: deleted" % call_id


# ---- rtcbridge-ctl calls and cdrs (formats: calls_print, cdr_print) ----------------

CALL_HEAD = re.compile(r"(\S+)  (\S+) -> (\S+)  (answered \d+ s ago \(rang \d+ s\)|ringing for \d+ s)")
CALL_MEDIA = re.compile(r"    media (?:(direct) \(not relayed\)|(relayed), codec (\(not yet\)|\S+), idle \d+ ms)")
CALL_LEG = re.compile(r"    (caller|callee) relay port (\d+) <-> (\S+|\(not yet\))  in (\d+) pkts  out (\d+) pkts"
                      r"  lost (-?\d+)  jitter ([\d.]+) ms  RTT ([\d.]+) ms  MOS ([\d.]+)(  SRTP)?")


def parse_calls(out):
    """`rtcbridge-ctl calls` output: {"count": N from the first line (None
    if it is not "N call(s)"), "calls": [{id, caller, callee, state
    ("answered"|"ringing"), media ("direct"|"relayed"), codec, legs:
    {"caller"|"callee": {port, remote, in, out, lost}}}], "bad": lines that
    fit no format}."""
    lines = out.splitlines()
    res = {"count": None, "calls": [], "bad": []}
    if lines:
        m = re.fullmatch(r"(\d+) calls?", lines[0])
        if m and (m.group(1) == "1") == (lines[0] == "1 call"):
            res["count"] = int(m.group(1))
        else:
            res["bad"].append(lines[0])
    cur = None
    for line in lines[1:]:
        m = CALL_HEAD.fullmatch(line)
        if m:
            cur = {"id": m.group(1), "caller": m.group(2), "callee": m.group(3),
                   "state": m.group(4).split()[0], "media": None, "codec": None, "legs": {}}
            res["calls"].append(cur)
            continue
        m = CALL_MEDIA.fullmatch(line)
        if m and cur is not None and cur["media"] is None:
            cur["media"] = m.group(1) or m.group(2)
            cur["codec"] = m.group(3)
            continue
        m = CALL_LEG.fullmatch(line)
        if m and cur is not None and cur["media"] == "relayed" and m.group(1) not in cur["legs"]:
            cur["legs"][m.group(1)] = {"port": int(m.group(2)), "remote": m.group(3), "in": int(m.group(4)),
                                       "out": int(m.group(5)), "lost": int(m.group(6))}
            continue
        res["bad"].append(line)
    return res


def ctl_calls(daemon):
    """(CompletedProcess, parsed) of `rtcbridge-ctl calls`."""
    r = daemon.ctl("calls")
    return r, parse_calls(r.stdout)


def wait_calls(daemon, pred, timeout=1.5):
    """`calls` until pred(parsed) holds (the relay counts on its own
    thread) or timeout; the last (CompletedProcess, parsed)."""
    deadline = time.monotonic() + timeout
    while True:
        r, parsed = ctl_calls(daemon)
        if (r.returncode == 0 and pred(parsed)) or time.monotonic() >= deadline:
            return r, parsed
        time.sleep(0.1)


def ctl_output(r):
    return "exit %d\n%s%s" % (r.returncode, r.stdout, ("stderr: " + r.stderr) if r.stderr else "")


def find_call(parsed, call_id):
    found = [c for c in parsed["calls"] if c["id"] == call_id]
    return found[0] if len(found) == 1 else None


def check_no_calls(checks, what, daemon):
    """`calls` says "0 calls" and nothing else."""
    r, parsed = wait_calls(daemon, lambda p: p["count"] == 0)
    checks.check(what + ": `calls` shows 0 calls",
                 r.returncode == 0 and r.stdout == "0 calls\n", ctl_output(r))


def check_live_call(checks, what, daemon, caller, relayed, answered=True, codec=None, legs=None):
    """`calls` lists exactly caller's call (caller: the caller's Call) with
    its parties and state; relayed or direct media; legs: {"caller"|"callee":
    {port, remote, in, out}} to be met exactly (polled: the relay counts
    on its own thread)."""
    def fits(c):
        if c is None or c["media"] != ("relayed" if relayed else "direct"):
            return False
        for name, want in (legs or {}).items():
            got = c["legs"].get(name)
            if got is None or any(got[k] != v for k, v in want.items()):
                return False
        return True
    r, parsed = wait_calls(daemon, lambda p: fits(find_call(p, caller.call_id)))
    out = ctl_output(r)
    c = find_call(parsed, caller.call_id)
    checks.check(what + ": `calls` lists exactly this call", r.returncode == 0 and parsed["count"] == 1
                 and len(parsed["calls"]) == 1 and c is not None and not parsed["bad"], out)
    if c is None:
        return None
    checks.check(what + ": `calls` names caller and callee",
                 (c["caller"], c["callee"]) == (caller.local_uri, caller.remote_uri), out)
    state = "answered" if answered else "ringing"
    checks.check(what + ": `calls` says %s" % state, c["state"] == state, out)
    checks.check(what + ": `calls` says media %s" % ("relayed" if relayed else "direct"),
                 c["media"] == ("relayed" if relayed else "direct"), out)
    if codec is not None:
        checks.check(what + ": `calls` names the codec " + codec, c["codec"] == codec, out)
    if relayed and legs is not None:
        checks.check(what + ": `calls` has a caller and a callee leg on relay ports",
                     set(c["legs"]) == {"caller", "callee"}
                     and all(in_range(leg["port"]) for leg in c["legs"].values()), out)
        for name, want in legs.items():
            got = c["legs"].get(name, {})
            for key, label in (("port", "relay port %s"), ("remote", "remote %s"),
                               ("in", "in %s pkts"), ("out", "out %s pkts")):
                if key in want:
                    checks.check("%s: `calls` %s leg: %s" % (what, name, label % want[key]),
                                 got.get(key) == want[key], out)
    return c


CDR_HEAD = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d|-)  (\S+) -> (\S+)  (\S+(?: \S+)?) \((-?\d+)\)"
                      r"(?:  talked (\d+) s)?(?:  ended by (\S+(?: \S+)?))?")
CDR_MEDIA = re.compile(r"    call-id (\S+)  media (?:(direct)|(relayed) (\(no codec\)|\S+)"
                       r"  caller in (-?\d+) lost (-?\d+) jitter [\d.]+ ms RTT [\d.]+ ms MOS [\d.]+"
                       r"  callee in (-?\d+) lost (-?\d+) jitter [\d.]+ ms RTT [\d.]+ ms MOS [\d.]+)")


def parse_cdrs(out):
    """`rtcbridge-ctl cdrs` output: ([{id, caller, callee, start,
    disposition, status, talked, ended_by, media, codec, caller_in,
    callee_in}], lines that fit no format)."""
    recs, bad = [], []
    lines = out.splitlines()
    i = 0
    while i < len(lines):
        h = CDR_HEAD.fullmatch(lines[i])
        m = CDR_MEDIA.fullmatch(lines[i + 1]) if h and i + 1 < len(lines) else None
        if not m:
            bad.append(lines[i])
            i += 1
            continue
        recs.append({"id": m.group(1), "start": h.group(1), "caller": h.group(2), "callee": h.group(3),
                     "disposition": h.group(4), "status": int(h.group(5)),
                     "talked": int(h.group(6)) if h.group(6) is not None else None, "ended_by": h.group(7),
                     "media": m.group(2) or m.group(3), "codec": m.group(4),
                     "caller_in": int(m.group(5)) if m.group(5) else None,
                     "callee_in": int(m.group(7)) if m.group(7) else None})
        i += 2
    return recs, bad


def check_cdr(checks, what, daemon, caller, disposition, status, relayed, ended_by=None, codec=None,
              caller_in=None, callee_in=None):
    """`cdrs 5` holds exactly one CDR of caller's call (the caller's Call),
    as expected (the daemon commits it on its next loop turn: polled);
    relayed None: its media is not checked."""
    deadline = time.monotonic() + 2
    while True:
        r = daemon.ctl("cdrs", "5")
        recs, bad = parse_cdrs(r.stdout)
        mine = [x for x in recs if x["id"] == caller.call_id]
        if mine or time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    out = ctl_output(r)
    checks.check(what + ": `cdrs 5` holds one CDR of the call",
                 r.returncode == 0 and len(mine) == 1 and not bad, out)
    if not mine:
        return None
    c = mine[0]
    checks.check(what + ": the CDR names caller and callee and a start time",
                 (c["caller"], c["callee"]) == (caller.local_uri, caller.remote_uri) and c["start"] != "-", out)
    checks.check(what + ": the CDR says %s (%d)" % (disposition, status),
                 (c["disposition"], c["status"]) == (disposition, status), out)
    if disposition == "answered":
        checks.check(what + ": the CDR says talked, ended by " + ended_by,
                     c["talked"] is not None and c["talked"] < 60 and c["ended_by"] == ended_by, out)
    else:
        checks.check(what + ": the CDR has no talk time and no 'ended by' (not answered)",
                     c["talked"] is None and c["ended_by"] is None, out)
    if relayed is not None:
        checks.check(what + ": the CDR says media %s" % ("relayed" if relayed else "direct"),
                     c["media"] == ("relayed" if relayed else "direct"), out)
    if codec is not None:
        checks.check(what + ": the CDR names the codec " + codec, c["codec"] == codec, out)
    for key, want in (("caller_in", caller_in), ("callee_in", callee_in)):
        if want is not None:
            checks.check("%s: the CDR says %s %d" % (what, key.replace("_", " "), want), c[key] == want, out)
    return c


# ---- RTP -------------------------------------------------------------------------

# ---- scenarios (anchor = auto) -----------------------------------------------------

def ring_and_answer(checks, what, caller, callee_ua, answer_body, to_tag=None):
    """The callee takes the INVITE, rings, answers 200; returns (its INVITE,
    the callee's Call, the caller's 180 and 200)."""
    inv = callee_ua.expect_request("INVITE", caller.call_id)
    if not checks.check(what + ": the callee receives the INVITE", inv is not None):
        raise AssertionError(what + ": no INVITE at the callee")
    call = Call.accept(callee_ua, inv)
    if to_tag:
        call.local_tag = to_tag
    callee_ua.respond(inv, 180, "Ringing", call.local_tag)
    ringing = caller.ua.expect_response(caller.call_id, "INVITE", caller.invite_cseq, final=False,
                                        status=180)
    checks.check(what + ": 180 reaches the caller", ringing is not None)
    callee_ua.respond(inv, 200, "OK", call.local_tag, body=answer_body)
    ok = caller.ua.expect_response(caller.call_id, "INVITE", caller.invite_cseq)
    if not checks.check(what + ": 200 reaches the caller", ok is not None and ok.status == 200,
                        status_of(ok)):
        raise AssertionError(what + ": no 200")
    caller.established(ok)
    return inv, call, ok


def hangup(checks, what, daemon, sender, receiver_ua):
    cseq = sender.request("BYE")
    bye = receiver_ua.expect_request("BYE", sender.call_id, cseq=cseq)
    checks.check(what + ": the BYE arrives", bye is not None)
    if bye is not None:
        receiver_ua.respond(bye, 200, "OK")
    ok = sender.ua.expect_response(sender.call_id, "BYE", cseq)
    checks.check(what + ": 200 for the BYE", ok is not None and ok.status == 200, status_of(ok))
    checks.check(what + ": the log says the call's media is deleted",
                 wait_log(daemon, deleted_line(sender.call_id)), deleted_line(sender.call_id))


def browser_calls_phone(checks, daemon, browser, phone):
    """Checks 1, 3 and the phone's BYE of 4."""
    b_media, p_media = media_socket(), media_socket()
    try:
        offer = browser_sdp(b_media.getsockname()[1], "actpass")
        caller = Call.start(browser, "phone", offer)
        answer = phone_sdp(p_media.getsockname()[1], 3003)
        inv, callee, ok = ring_and_answer(checks, "1 browser->phone", caller, phone, answer)
        port_to_phone = check_plain(checks, "1 INVITE at the phone", inv, RELAY_PORTS, rtcp_line=True)
        ufrag, pwd, fp, port_to_browser = check_webrtc(checks, "1 200 at the browser", ok, "passive", RELAY_PORTS)
        checks.check("1 two different relay ports", port_to_phone != port_to_browser,
                     "%s %s" % (port_to_phone, port_to_browser))
        checks.check("1 the log names the anchored call",
                     wait_log(daemon, "media: call %s: answer from" % caller.call_id, 1.0))
        caller.ack()
        ack = phone.expect_request("ACK", caller.call_id)
        checks.check("1 the ACK reaches the phone", ack is not None and not ack.body,
                     status_of(ack) if ack is None else repr(ack.body))
        check_live_call(checks, "1 browser->phone", daemon, caller, relayed=True, codec="opus/48000")

        # 3: hold and resume from the phone
        for n, (dir_out, dir_back) in enumerate((("sendonly", "recvonly"), ("sendrecv", "sendrecv"))):
            what = "3 %s re-INVITE" % ("hold" if n == 0 else "resume")
            cseq = callee.request("INVITE", phone_sdp(p_media.getsockname()[1], 3003,
                                                      direction=dir_out, version=2 + n))
            reinv = browser.expect_request("INVITE", caller.call_id, cseq=cseq)
            if not checks.check(what + " reaches the browser", reinv is not None):
                break
            r_ufrag, r_pwd, r_fp, r_port = check_webrtc(checks, what + " at the browser", reinv, "actpass",
                                                         RELAY_PORTS)
            checks.check(what + ": same relay port as the first answer", r_port == port_to_browser,
                         "%s, first %s" % (r_port, port_to_browser))
            checks.check(what + ": same ICE credentials and fingerprint (no ICE restart)",
                         (r_ufrag, r_pwd, r_fp) == (ufrag, pwd, fp),
                         "%r vs %r" % ((r_ufrag, r_pwd, r_fp), (ufrag, pwd, fp)))
            checks.check(what + ": the browser gets a=%s" % dir_out, direction(text(reinv)) == dir_out,
                         text(reinv))
            browser.respond(reinv, 200, "OK",
                            body=browser_sdp(b_media.getsockname()[1], "active", direction=dir_back))
            rok = phone.expect_response(caller.call_id, "INVITE", cseq)
            if not checks.check(what + ": 200 reaches the phone", rok is not None and rok.status == 200,
                                status_of(rok)):
                break
            p_port = check_plain(checks, what + " 200 at the phone", rok, RELAY_PORTS)
            checks.check(what + ": the phone's relay port is unchanged", p_port == port_to_phone,
                         "%s, first %s" % (p_port, port_to_phone))
            checks.check(what + ": the phone gets a=%s" % dir_back, direction(text(rok)) == dir_back,
                         text(rok))
            checks.check(what + ": the phone did not offer rtcp-mux, gets none",
                         "a=rtcp-mux" not in text(rok), text(rok))
            callee.ack_in_dialog(cseq)
            ack = browser.expect_request("ACK", caller.call_id, cseq=cseq)
            checks.check(what + ": the ACK reaches the browser", ack is not None)

        hangup(checks, "4 BYE from the phone", daemon, callee, browser)
        check_no_calls(checks, "1 after the BYE", daemon)
        check_cdr(checks, "1 browser->phone", daemon, caller, "answered", 200, relayed=True,
                  ended_by="callee")
    finally:
        b_media.close()
        p_media.close()


def phone_calls_browser(checks, daemon, browser, phone):
    """Check 2 and the browser's BYE of 4."""
    b_media, p_media = media_socket(), media_socket()
    try:
        caller = Call.start(phone, "browser", phone_sdp(p_media.getsockname()[1], 4004))
        inv = browser.expect_request("INVITE", caller.call_id)
        if not checks.check("2 phone->browser: the browser receives the INVITE", inv is not None):
            raise AssertionError("no INVITE at the browser")
        callee = Call.accept(browser, inv)
        _, _, _, port_to_browser = check_webrtc(checks, "2 INVITE at the browser", inv, "actpass", RELAY_PORTS)
        browser.respond(inv, 180, "Ringing", callee.local_tag)
        browser.respond(inv, 200, "OK", callee.local_tag, body=browser_sdp(b_media.getsockname()[1], "active"))
        ok = phone.expect_response(caller.call_id, "INVITE", caller.invite_cseq)
        if not checks.check("2 200 reaches the phone", ok is not None and ok.status == 200, status_of(ok)):
            raise AssertionError("no 200 at the phone")
        caller.established(ok)
        port_to_phone = check_plain(checks, "2 200 at the phone", ok, RELAY_PORTS)
        checks.check("2 the phone did not offer rtcp-mux, gets none", "a=rtcp-mux" not in text(ok), text(ok))
        checks.check("2 two different relay ports", port_to_phone != port_to_browser)
        caller.ack()
        ack = browser.expect_request("ACK", caller.call_id)
        checks.check("2 the ACK reaches the browser", ack is not None)
        hangup(checks, "4 BYE from the browser", daemon, callee, phone)
    finally:
        b_media.close()
        p_media.close()


def cancelled_call(checks, daemon, browser, phone):
    """Check 4: a CANCELled INVITE releases the media."""
    b_media = media_socket()
    try:
        caller = Call.start(browser, "phone", browser_sdp(b_media.getsockname()[1], "actpass"))
        inv = phone.expect_request("INVITE", caller.call_id)
        if not checks.check("4 cancel: the phone receives the INVITE", inv is not None):
            raise AssertionError("no INVITE at the phone")
        checks.check("4 cancel: the INVITE was anchored (relay port)", in_range(audio_port(text(inv))),
                     text(inv))
        to_tag = siplib.token(8)
        phone.respond(inv, 180, "Ringing", to_tag)
        ringing = browser.expect_response(caller.call_id, "INVITE", caller.invite_cseq, final=False, status=180)
        checks.check("4 cancel: 180 reaches the browser", ringing is not None)
        checks.check("4 cancel: the call is there while it rings",
                     deleted_line(caller.call_id) not in log_text(daemon))
        check_live_call(checks, "4 cancel: while it rings", daemon, caller, relayed=True, answered=False)
        caller.cancel()
        c_ok = browser.expect_response(caller.call_id, "CANCEL", caller.invite_cseq)
        checks.check("4 cancel: 200 for the CANCEL", c_ok is not None and c_ok.status == 200, status_of(c_ok))
        cancel = phone.expect_request("CANCEL", caller.call_id)
        checks.check("4 cancel: the CANCEL reaches the phone", cancel is not None)
        if cancel is not None:
            phone.respond(cancel, 200, "OK", to_tag)
            phone.respond(inv, 487, "Request Terminated", to_tag)
            ack = phone.expect_request("ACK", caller.call_id)
            checks.check("4 cancel: the proxy ACKs the phone's 487", ack is not None)
        final = browser.expect_response(caller.call_id, "INVITE", caller.invite_cseq)
        checks.check("4 cancel: the browser gets 487", final is not None and final.status == 487, status_of(final))
        if final is not None:
            caller.ack_failure(final)
        checks.check("4 cancel: the log says the call's media is deleted",
                     wait_log(daemon, deleted_line(caller.call_id)), deleted_line(caller.call_id))
        check_no_calls(checks, "4 cancel", daemon)
        check_cdr(checks, "4 cancel", daemon, caller, "cancelled", 487, relayed=True)
    finally:
        b_media.close()


def refused_call(checks, daemon, how, phone, phone2, relayed, label):
    """Phone -> phone2, never answered: how "cancel" (the caller CANCELs
    while it rings: 487) or "busy" (phone2 answers 486). The call is live
    and ringing until then, gone after; its CDR says cancelled (487) or
    busy (486), media relayed or direct as the daemon's mode makes it."""
    a_media = media_socket()
    try:
        caller = Call.start(phone, "phone2", phone_sdp(a_media.getsockname()[1], 9001, codecs="0 8 101"))
        inv = phone2.expect_request("INVITE", caller.call_id)
        if not checks.check(label + ": the callee receives the INVITE", inv is not None):
            raise AssertionError("no INVITE at phone2")
        checks.check(label + ": the INVITE's media is %s" % ("relayed" if relayed else "direct"),
                     in_range(audio_port(text(inv))) == relayed, text(inv))
        to_tag = siplib.token(8)
        phone2.respond(inv, 180, "Ringing", to_tag)
        ringing = phone.expect_response(caller.call_id, "INVITE", caller.invite_cseq, final=False, status=180)
        checks.check(label + ": 180 reaches the caller", ringing is not None)
        check_live_call(checks, label + ": while it rings", daemon, caller, relayed=relayed, answered=False)
        if how == "cancel":
            status, disposition = 487, "cancelled"
            caller.cancel()
            c_ok = phone.expect_response(caller.call_id, "CANCEL", caller.invite_cseq)
            checks.check(label + ": 200 for the CANCEL", c_ok is not None and c_ok.status == 200, status_of(c_ok))
            cancel = phone2.expect_request("CANCEL", caller.call_id)
            checks.check(label + ": the CANCEL reaches the callee", cancel is not None)
            if cancel is not None:
                phone2.respond(cancel, 200, "OK", to_tag)
                phone2.respond(inv, 487, "Request Terminated", to_tag)
        else:
            status, disposition = 486, "busy"
            phone2.respond(inv, 486, "Busy Here", to_tag)
        ack = phone2.expect_request("ACK", caller.call_id)
        checks.check(label + ": the proxy ACKs the callee's %d" % status, ack is not None)
        final = phone.expect_response(caller.call_id, "INVITE", caller.invite_cseq)
        checks.check(label + ": the caller gets %d" % status, final is not None and final.status == status,
                     status_of(final))
        if final is not None:
            caller.ack_failure(final)
        check_no_calls(checks, label, daemon)
        check_cdr(checks, label, daemon, caller, disposition, status, relayed=relayed,
                  caller_in=0 if relayed else None, callee_in=0 if relayed else None)
    finally:
        a_media.close()


def late_offer(checks, daemon, browser, phone):
    """Check 5."""
    b_media, p_media = media_socket(), media_socket()
    try:
        caller = Call.start(phone, "browser", b"")
        inv = browser.expect_request("INVITE", caller.call_id)
        if not checks.check("5 late offer: the browser receives the INVITE", inv is not None):
            raise AssertionError("no INVITE at the browser")
        checks.check("5 late offer: the browser's INVITE has no body",
                     inv.body == b"" and (inv.get("content-length") or "0").strip() == "0",
                     "%r (Content-Length %s)" % (inv.body, inv.get("content-length")))
        callee = Call.accept(browser, inv)
        browser.respond(inv, 200, "OK", callee.local_tag, body=browser_sdp(b_media.getsockname()[1], "actpass"))
        ok = phone.expect_response(caller.call_id, "INVITE", caller.invite_cseq)
        if not checks.check("5 late offer: 200 reaches the phone", ok is not None and ok.status == 200,
                            status_of(ok)):
            raise AssertionError("no 200 at the phone")
        caller.established(ok)
        check_plain(checks, "5 late offer: the offer in the phone's 200", ok, RELAY_PORTS, rtcp_line=True)
        caller.ack(phone_sdp(p_media.getsockname()[1], 5005).encode())
        ack = browser.expect_request("ACK", caller.call_id)
        if checks.check("5 late offer: the ACK reaches the browser", ack is not None):
            checks.check("5 late offer: the ACK has an SDP body",
                         (ack.get("content-type") or "").startswith("application/sdp") and ack.body,
                         repr(ack.raw[:400]))
            check_webrtc(checks, "5 late offer: the answer in the browser's ACK", ack, "passive", RELAY_PORTS)
        hangup(checks, "5 late offer: BYE from the phone", daemon, caller, browser)
    finally:
        b_media.close()
        p_media.close()


def phone_to_phone_direct(checks, daemon, phone, phone2):
    """Check 7a: auto mode keeps phone-to-phone media direct."""
    a_media, b_media = media_socket(), media_socket()
    try:
        offer = phone_sdp(a_media.getsockname()[1], 7001, codecs="0 8 101")
        caller = Call.start(phone, "phone2", offer)
        answer = phone_sdp(b_media.getsockname()[1], 7002, codecs="0 8 101")
        inv, callee, ok = ring_and_answer(checks, "7a phone->phone (auto)", caller, phone2, answer)
        checks.check("7a phone->phone (auto): the offer arrives unchanged", inv.body == offer.encode(),
                     text(inv))
        checks.check("7a phone->phone (auto): the answer arrives unchanged", ok.body == answer.encode(),
                     text(ok))
        caller.ack()
        checks.check("7a phone->phone (auto): the ACK arrives",
                     phone2.expect_request("ACK", caller.call_id) is not None)
        check_live_call(checks, "7a phone->phone (auto)", daemon, caller, relayed=False)
        cseq = caller.request("BYE")
        bye = phone2.expect_request("BYE", caller.call_id, cseq=cseq)
        if bye is not None:
            phone2.respond(bye, 200, "OK")
        phone.expect_response(caller.call_id, "BYE", cseq)
        checks.check("7a phone->phone (auto): no media call in the log",
                     "media: call %s:" % caller.call_id not in log_text(daemon))
        check_no_calls(checks, "7a after the BYE", daemon)
        check_cdr(checks, "7a phone->phone (auto)", daemon, caller, "answered", 200, relayed=False,
                  ended_by="caller")
    finally:
        a_media.close()
        b_media.close()


def malformed_sdp(checks, daemon, browser, phone):
    """Check 8, both directions."""
    cases = [
        ("8 phone->browser", phone, "browser", browser,
         "v=0\r\nthis is not an SDP line\r\nm=audio 4000 RTP/AVP 0\r\n"),
        ("8 browser->phone", browser, "phone", phone,
         "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
         "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n@@garbage@@\r\na=fingerprint:sha-256 %s\r\n" % BROWSER_FP),
    ]
    for what, caller_ua, callee, callee_ua, body in cases:
        caller = Call.start(caller_ua, callee, body)
        final = caller_ua.expect_response(caller.call_id, "INVITE", caller.invite_cseq)
        checks.check(what + ": malformed SDP gets 488 Failed to parse SDP",
                     final is not None and final.status == 488 and final.reason == "Failed to parse SDP",
                     status_of(final))
        if final is not None:
            caller.ack_failure(final)
        inv = callee_ua.expect_request("INVITE", caller.call_id, timeout=0.3)
        checks.check(what + ": the callee never sees the INVITE", inv is None, status_of(inv))
        checks.check(what + ": the log says why",
                     wait_log(daemon, "media for call %s:" % caller.call_id, 1.0))
        checks.check(what + ": no media call left over",
                     "media: call %s: offer" % caller.call_id not in log_text(daemon))
        check_no_calls(checks, what, daemon)
    r = siplib.ping(HOST, siplib.SIP_PORT)
    checks.check("8 the daemon still answers OPTIONS", r is not None and r.status == 200, status_of(r))


# ---- scenarios (anchor = always): new ports, UPDATE, early media, forking ------------

def drain_socket(sock):
    """Throw away what sock has queued (strays of an earlier exchange)."""
    sock.setblocking(False)
    try:
        while True:
            sock.recv(2048)
    except (BlockingIOError, InterruptedError):
        pass
    finally:
        sock.settimeout(0.05)


def flow(src, relay_port, sinks, ssrc, count=10, wait=2.0):
    """count RTP packets src -> 127.0.0.1:relay_port; (sent, [what each socket
    of sinks got]). Waits until some sink has them all (then 0.1 s more for
    strays at the others), or wait s in all."""
    for s in sinks:
        drain_socket(s)
    sent = [rtp(i, ssrc, RTP_STRIDE) for i in range(count)]
    got = [[] for _ in sinks]
    for p in sent:
        src.sendto(p, (HOST, relay_port))
        time.sleep(0.002)
    deadline = time.monotonic() + wait
    while True:
        now = time.monotonic()
        if any(len(g) >= count for g in got):
            deadline = min(deadline, now + (0.1 if len(sinks) > 1 else 0))
        if now >= deadline:
            break
        ready, _, _ = select.select(sinks, [], [], min(0.05, deadline - now))
        for s in ready:
            try:
                got[sinks.index(s)].append(s.recv(2048))
            except (socket.timeout, BlockingIOError):
                pass
    return sent, got


def check_flow(checks, what, src, relay_port, dst, ssrc, stale=(), arrives=True, stale_names=None):
    """RTP src -> relay_port: dst gets every packet unchanged (arrives) or
    none (not arrives: waits 0.6 s); the sockets in stale (a phone's old
    ports, another branch: stale_names says which) get none. True when all
    held."""
    sinks = [dst] + list(stale)
    sent, got = flow(src, relay_port, sinks, ssrc, wait=2.0 if arrives else 0.6)
    if arrives:
        ok = checks.check("%s: %d of %d arrive, unchanged" % (what, len(got[0]), len(sent)), got[0] == sent,
                          "%d received, %d equal" % (len(got[0]), sum(x == y for x, y in zip(sent, got[0]))))
    else:
        ok = checks.check(what + ": nothing is forwarded", got[0] == [],
                          "%d of %d arrived" % (len(got[0]), len(sent)))
    names = stale_names or ["the old port", "the other old port"]
    for n, g in enumerate(got[1:]):
        ok &= checks.check("%s: nothing reaches %s (port %d)" % (what, names[n], stale[n].getsockname()[1]),
                           g == [], "%d of %d arrived there" % (len(g), len(sent)))
    return ok


def port_of(sock):
    return sock.getsockname()[1]


def check_relay_sdp(checks, what, msg, relay_port=None, not_ports=(), dir_want=None):
    """A phone's SDP as the relay rewrote it: Content-Type, m=audio RTP/AVP
    0 8 101 on a relay port (relay_port when given, none of not_ports),
    every c= 127.0.0.1, the direction, Content-Length; the port."""
    sdp = text(msg)
    port = audio_port(sdp)
    check_content_type(checks, what, msg)
    if relay_port is None:
        checks.check(what + ": m=audio RTP/AVP 0 8 101 on a relay port",
                     in_range(port) and port not in not_ports
                     and re.search(r"^m=audio \d+ RTP/AVP 0 8 101\s*$", sdp, re.M) is not None, sdp)
    else:
        checks.check(what + ": m=audio RTP/AVP 0 8 101 on the same relay port %s" % relay_port,
                     port == relay_port and re.search(r"^m=audio \d+ RTP/AVP 0 8 101\s*$", sdp, re.M)
                     is not None, sdp)
    checks.check(what + ": every c= is 127.0.0.1", c_addrs(sdp) and all(a == HOST for a in c_addrs(sdp)), sdp)
    if dir_want is not None:
        checks.check(what + ": a=" + dir_want, direction(sdp) == dir_want, sdp)
    check_content_length(checks, what, msg)
    return port


def anchored_call(checks, what, phone, phone2, a_media, b_media, sess):
    """phone -> phone2 answered and ACKed through the relay, RTP checked
    both ways; (caller's Call, callee's Call, the relay port A sends to,
    the one B sends to). AssertionError when it cannot be set up."""
    caller = Call.start(phone, "phone2", phone_sdp(port_of(a_media), sess, codecs="0 8 101"))
    inv, callee, ok = ring_and_answer(checks, what, caller, phone2,
                                      phone_sdp(port_of(b_media), sess + 1, codecs="0 8 101"))
    port_b, port_a = audio_port(text(inv)), audio_port(text(ok))
    if not checks.check(what + ": both SDPs name relay ports", in_range(port_a) and in_range(port_b),
                        "%s %s" % (port_a, port_b)):
        raise AssertionError(what + ": not anchored")
    caller.ack()
    checks.check(what + ": the ACK reaches phone B", phone2.expect_request("ACK", caller.call_id) is not None)
    check_flow(checks, what + ": RTP A -> B", a_media, port_a, b_media, 0xC0C00000 + sess)
    check_flow(checks, what + ": RTP B -> A", b_media, port_b, a_media, 0xD0D00000 + sess)
    return caller, callee, port_a, port_b


def reinvite_new_port(checks, daemon, phone, phone2):
    """Check 13: B, then A, re-INVITEs naming a new RTP port."""
    a_old, b_old, a_new, b_new = (media_socket() for _ in range(4))
    try:
        caller, callee, port_a, port_b = anchored_call(checks, "13 phone->phone (always)", phone, phone2,
                                                       a_old, b_old, 7301)
        # 13a: B moves to a new socket
        what = "13a re-INVITE from B with a new port"
        cseq = callee.request("INVITE", phone_sdp(port_of(b_new), 7302, codecs="0 8 101", version=2))
        reinv = phone.expect_request("INVITE", caller.call_id, cseq=cseq)
        if not checks.check(what + ": reaches A", reinv is not None):
            raise AssertionError("no re-INVITE at A")
        check_relay_sdp(checks, what + " at A", reinv, relay_port=port_a, dir_want="sendrecv")
        phone.respond(reinv, 200, "OK", body=phone_sdp(port_of(a_old), 7301, codecs="0 8 101", version=2))
        rok = phone2.expect_response(caller.call_id, "INVITE", cseq)
        if not checks.check(what + ": 200 reaches B", rok is not None and rok.status == 200, status_of(rok)):
            raise AssertionError("no 200 at B")
        check_relay_sdp(checks, what + ": 200 at B", rok, relay_port=port_b, dir_want="sendrecv")
        callee.ack_in_dialog(cseq)
        checks.check(what + ": the ACK reaches A",
                     phone.expect_request("ACK", caller.call_id, cseq=cseq, timeout=1.0) is not None)
        check_flow(checks, what + ": RTP A -> B's new port", a_old, port_a, b_new, 0xC1C10001, stale=[b_old])
        check_flow(checks, what + ": RTP B (from the new port) -> A", b_new, port_b, a_old, 0xD1D10001)
        check_flow(checks, what + ": RTP A -> B's new port again", a_old, port_a, b_new, 0xC1C10002,
                   stale=[b_old])
        check_live_call(checks, what, daemon, caller, relayed=True,
                        legs={"caller": {"port": port_a, "remote": "%s:%d" % (HOST, port_of(a_old))},
                              "callee": {"port": port_b, "remote": "%s:%d" % (HOST, port_of(b_new))}})
        # 13b: A (the caller) moves to a new socket
        what = "13b re-INVITE from A with a new port"
        cseq = caller.request("INVITE", phone_sdp(port_of(a_new), 7301, codecs="0 8 101", version=3))
        reinv = phone2.expect_request("INVITE", caller.call_id, cseq=cseq)
        if not checks.check(what + ": reaches B", reinv is not None):
            raise AssertionError("no re-INVITE at B")
        check_relay_sdp(checks, what + " at B", reinv, relay_port=port_b, dir_want="sendrecv")
        phone2.respond(reinv, 200, "OK", body=phone_sdp(port_of(b_new), 7302, codecs="0 8 101", version=3))
        rok = phone.expect_response(caller.call_id, "INVITE", cseq)
        if not checks.check(what + ": 200 reaches A", rok is not None and rok.status == 200, status_of(rok)):
            raise AssertionError("no 200 at A")
        check_relay_sdp(checks, what + ": 200 at A", rok, relay_port=port_a, dir_want="sendrecv")
        caller.ack_in_dialog(cseq)
        checks.check(what + ": the ACK reaches B",
                     phone2.expect_request("ACK", caller.call_id, cseq=cseq, timeout=1.0) is not None)
        check_flow(checks, what + ": RTP B -> A's new port", b_new, port_b, a_new, 0xD2D20001, stale=[a_old])
        check_flow(checks, what + ": RTP A (from the new port) -> B", a_new, port_a, b_new, 0xC2C20001,
                   stale=[b_old])
        check_flow(checks, what + ": RTP B -> A's new port again", b_new, port_b, a_new, 0xD2D20002,
                   stale=[a_old])
        check_live_call(checks, what, daemon, caller, relayed=True,
                        legs={"caller": {"port": port_a, "remote": "%s:%d" % (HOST, port_of(a_new))},
                              "callee": {"port": port_b, "remote": "%s:%d" % (HOST, port_of(b_new))}})
        hangup(checks, "13 BYE from phone A", daemon, caller, phone2)
        check_no_calls(checks, "13 after the BYE", daemon)
    finally:
        for s in (a_old, b_old, a_new, b_new):
            s.close()


def update_hold(checks, daemon, phone, phone2):
    """Check 14: hold and resume by UPDATE from A."""
    a_media, b_media = media_socket(), media_socket()
    try:
        caller, callee, port_a, port_b = anchored_call(checks, "14 phone->phone (always)", phone, phone2,
                                                       a_media, b_media, 7401)
        for n, (dir_out, dir_back) in enumerate((("sendonly", "recvonly"), ("sendrecv", "sendrecv"))):
            what = "14 %s UPDATE from A" % ("hold" if n == 0 else "resume")
            cseq = caller.request("UPDATE", phone_sdp(port_of(a_media), 7401, codecs="0 8 101",
                                                      direction=dir_out, version=2 + n))
            upd = phone2.expect_request("UPDATE", caller.call_id, cseq=cseq)
            if not checks.check(what + ": reaches B", upd is not None):
                break
            check_relay_sdp(checks, what + " at B", upd, relay_port=port_b, dir_want=dir_out)
            phone2.respond(upd, 200, "OK", body=phone_sdp(port_of(b_media), 7402, codecs="0 8 101",
                                                          direction=dir_back, version=2 + n),
                           extra=("Contact: <%s>" % phone2.contact_uri,))
            rok = phone.expect_response(caller.call_id, "UPDATE", cseq)
            if not checks.check(what + ": 200 reaches A", rok is not None and rok.status == 200, status_of(rok)):
                break
            check_relay_sdp(checks, what + ": 200 at A", rok, relay_port=port_a, dir_want=dir_back)
            check_flow(checks, what + ": RTP A -> B", a_media, port_a, b_media, 0xC4C40001 + n)
            check_flow(checks, what + ": RTP B -> A" + (" (A holds)" if n == 0 else ""), b_media, port_b,
                       a_media, 0xD4D40001 + n, arrives=n == 1)
        hangup(checks, "14 BYE from phone B", daemon, callee, phone)
        check_no_calls(checks, "14 after the BYE", daemon)
    finally:
        a_media.close()
        b_media.close()


def early_media(checks, daemon, phone, phone2):
    """Check 15: 183 with SDP, RTP before the 200."""
    a_media, b_media = media_socket(), media_socket()
    try:
        what = "15 early media"
        caller = Call.start(phone, "phone2", phone_sdp(port_of(a_media), 7501, codecs="0 8 101"))
        inv = phone2.expect_request("INVITE", caller.call_id)
        if not checks.check(what + ": phone B receives the INVITE", inv is not None):
            raise AssertionError("no INVITE at B")
        port_b = check_relay_sdp(checks, what + ": INVITE at B", inv, not_ports=(port_of(a_media),))
        callee = Call.accept(phone2, inv)
        answer = phone_sdp(port_of(b_media), 7502, codecs="0 8 101")
        phone2.respond(inv, 183, "Session Progress", callee.local_tag, body=answer)
        sp = phone.expect_response(caller.call_id, "INVITE", caller.invite_cseq, final=False, status=183)
        if not checks.check(what + ": the 183 reaches A", sp is not None):
            raise AssertionError("no 183 at A")
        port_a = check_relay_sdp(checks, what + ": 183 at A", sp, not_ports=(port_of(b_media), port_b))
        check_live_call(checks, what + ": while it rings", daemon, caller, relayed=True, answered=False)
        if in_range(port_b):
            check_flow(checks, what + ": RTP B -> A before the 200", b_media, port_b, a_media, 0xD5D50001)
        if in_range(port_a):
            check_flow(checks, what + ": RTP A -> B before the 200", a_media, port_a, b_media, 0xC5C50001)
        phone2.respond(inv, 200, "OK", callee.local_tag, body=answer)
        ok = phone.expect_response(caller.call_id, "INVITE", caller.invite_cseq)
        if not checks.check(what + ": the 200 reaches A", ok is not None and ok.status == 200, status_of(ok)):
            raise AssertionError("no 200 at A")
        caller.established(ok)
        check_relay_sdp(checks, what + ": 200 at A (as the 183)", ok, relay_port=port_a)
        caller.ack()
        checks.check(what + ": the ACK reaches B", phone2.expect_request("ACK", caller.call_id) is not None)
        check_flow(checks, what + ": RTP A -> B after the 200", a_media, port_a, b_media, 0xC5C50002)
        check_flow(checks, what + ": RTP B -> A after the 200", b_media, port_b, a_media, 0xD5D50002)
        hangup(checks, "15 BYE from phone B", daemon, callee, phone)
        check_no_calls(checks, "15 after the BYE", daemon)
    finally:
        a_media.close()
        b_media.close()


def forked_early_media(checks, daemon, phone):
    """Check 16: phone3 registered twice (two UDP contacts): the INVITE
    forks, each branch answers 183 with SDP (own To tag, own media port),
    then the first branch answers 200. The relay has one leg per side
    (media/ng_calls.c): both branches are offered the same relay port and
    A gets the same one in both 183s; each 183 points the callee's leg at
    its branch, so between the 183s and the 200 A's media goes to the
    branch that sent the latest 183, and after the 200 to the answerer."""
    what = "16 forked early media"
    password = siplib.token(12)
    r = daemon.ctl("user", "add", "phone3", password)
    if not checks.check(what + ": rtcbridge-ctl user add phone3", r.returncode == 0, r.stderr.strip()):
        return
    uas = [UA("phone", "phone3", password), UA("phone", "phone3", password)]
    a_media, m1, m2 = media_socket(), media_socket(), media_socket()
    try:
        for n, ua in enumerate(uas):
            r = ua.register()
            if not checks.check("%s: phone3 registers contact %d" % (what, n + 1),
                                r is not None and r.status == 200, status_of(r)):
                raise AssertionError("cannot register phone3 twice")
        caller = Call.start(phone, "phone3", phone_sdp(port_of(a_media), 7601, codecs="0 8 101"))
        invs = [ua.expect_request("INVITE", caller.call_id) for ua in uas]
        if not checks.check(what + ": both contacts receive the INVITE", all(i is not None for i in invs),
                            repr([status_of(i) for i in invs])):
            raise AssertionError("the INVITE did not fork")
        ports = [check_relay_sdp(checks, "%s: INVITE at branch %d" % (what, n + 1), inv,
                                 not_ports=(port_of(a_media),)) for n, inv in enumerate(invs)]
        checks.check(what + ": both branches are offered the same relay port (one leg for the callee)",
                     in_range(ports[0]) and ports[0] == ports[1], repr(ports))
        calls = [Call.accept(ua, inv) for ua, inv in zip(uas, invs)]
        relay_ports = []
        for n, (ua, inv, call, media) in enumerate(zip(uas, invs, calls, (m1, m2))):
            ua.respond(inv, 183, "Session Progress", call.local_tag,
                       body=phone_sdp(port_of(media), 7610 + n, codecs="0 8 101"))
            sp = phone.expect(lambda m: m.status == 183 and m.call_id == caller.call_id
                              and tag_of(m.get("to")) == call.local_tag, 3.0)
            if not checks.check("%s: branch %d's 183 reaches A (its To tag)" % (what, n + 1), sp is not None):
                raise AssertionError("no 183 of branch %d" % (n + 1))
            relay_ports.append(check_relay_sdp(checks, "%s: branch %d's 183 at A" % (what, n + 1), sp,
                                               relay_port=relay_ports[0] if n else None,
                                               not_ports=(port_of(m1), port_of(m2)) + tuple(ports)))
            if in_range(ports[n]):
                check_flow(checks, "%s: RTP branch %d -> A after its 183" % (what, n + 1), media, ports[n],
                           a_media, 0xE6E60001 + n)
        # Between the 183s and the 200 the callee's leg sends where the
        # latest 183 said. (A packet from branch 1 now would re-latch that
        # leg to branch 1, relay.c's NAT latching: none is sent here.)
        if in_range(relay_ports[-1]):
            check_flow(checks, what + ": after both 183s, RTP A -> branch 2 (the latest 183)", a_media,
                       relay_ports[-1], m2, 0xC6C60001, stale=[m1], stale_names=["branch 1"])
        # branch 1 answers: branch 2 is cancelled
        uas[0].respond(invs[0], 200, "OK", calls[0].local_tag,
                       body=phone_sdp(port_of(m1), 7610, codecs="0 8 101"))
        ok = phone.expect_response(caller.call_id, "INVITE", caller.invite_cseq)
        if not checks.check(what + ": branch 1's 200 reaches A", ok is not None and ok.status == 200
                            and tag_of(ok.get("to")) == calls[0].local_tag, status_of(ok)):
            raise AssertionError("no 200 at A")
        caller.established(ok)
        port_a = check_relay_sdp(checks, what + ": 200 at A (as the 183s)", ok, relay_port=relay_ports[0])
        cancel = uas[1].expect_request("CANCEL", caller.call_id)
        checks.check(what + ": branch 2 is CANCELled", cancel is not None)
        if cancel is not None:
            uas[1].respond(cancel, 200, "OK", calls[1].local_tag)
            uas[1].respond(invs[1], 487, "Request Terminated", calls[1].local_tag)
            checks.check(what + ": the proxy ACKs branch 2's 487",
                         uas[1].expect_request("ACK", caller.call_id) is not None)
        caller.ack()
        checks.check(what + ": the ACK reaches branch 1", uas[0].expect_request("ACK", caller.call_id) is not None)
        if in_range(port_a):
            check_flow(checks, what + ": after the 200, RTP A -> branch 1 (the answerer)", a_media, port_a, m1,
                       0xC6C60002, stale=[m2], stale_names=["branch 2"])
        if in_range(ports[0]):
            check_flow(checks, what + ": after the 200, RTP branch 1 -> A", m1, ports[0], a_media, 0xE6E60003)
        hangup(checks, "16 BYE from phone A", daemon, caller, uas[0])
        check_no_calls(checks, "16 after the BYE", daemon)
    finally:
        for s in (a_media, m1, m2):
            s.close()
        for ua in uas:
            ua.close()


# ---- the media timeout (anchor = auto, [media] timeout = 2: fourth daemon) ----------

MEDIA_TIMEOUT = 2  # s: [media] timeout of the fourth daemon
CALLS_SWEEP = 1    # s: the call list's sweep, timeout / 2, 1 to 5 s (proxy/calls.c)
RING_SECONDS = 8   # well past MEDIA_TIMEOUT + CALLS_SWEEP: ringing calls never time out


def released_line(call_id):
    return "media: call %s: deleted" % call_id


def no_media_line(call_id):
    return "call %s: answered (200)" % call_id


def ringing_past_timeout(checks, daemon, browser, phone, notes):
    """Checks 17 and 18: browser -> phone rings (180, no SDP) for longer
    than the relay's timeout without any media, is answered, then nothing
    is ever sent: the relay keeps the call while it rings and times it out
    after the answer."""
    what = "17 ringing past the media timeout"
    b_media, p_media = media_socket(), media_socket()
    try:
        caller = Call.start(browser, "phone", browser_sdp(port_of(b_media), "actpass"))
        inv = phone.expect_request("INVITE", caller.call_id)
        # the relay took the offer before the phone got the INVITE: counted
        # from here, the ringing times below are at most the relay's
        t0 = time.monotonic()
        if not checks.check(what + ": the phone receives the INVITE", inv is not None):
            raise AssertionError("no INVITE at the phone")
        checks.check(what + ": the INVITE was anchored (relay port)", in_range(audio_port(text(inv))), text(inv))
        callee = Call.accept(phone, inv)
        phone.respond(inv, 180, "Ringing", callee.local_tag)
        ringing = browser.expect_response(caller.call_id, "INVITE", caller.invite_cseq, final=False, status=180)
        checks.check(what + ": 180 reaches the browser", ringing is not None)
        # `calls` every 0.5 s while it rings, no media at all
        seen = []  # (s since the INVITE reached the phone, state, media)
        shown, right = "", True  # the first wrong listing, else the last
        while time.monotonic() - t0 < RING_SECONDS:
            r, parsed = ctl_calls(daemon)
            c = find_call(parsed, caller.call_id)
            seen.append((time.monotonic() - t0, c and c["state"], c and c["media"]))
            if right:
                shown = ctl_output(r)
            right = right and seen[-1][1:] == ("ringing", "relayed")
            time.sleep(min(0.5, max(0.0, RING_SECONDS - (time.monotonic() - t0))))
        summary = " ".join("%.1fs:%s/%s" % x for x in seen)
        late = [x for x in seen if x[0] >= MEDIA_TIMEOUT + CALLS_SWEEP]
        checks.check(what + ": `calls` lists it ringing, media relayed, all %.0f s (%d listings)"
                     % (RING_SECONDS, len(seen)),
                     seen and all(x[1:] == ("ringing", "relayed") for x in seen), summary + "\n" + shown)
        checks.check(what + ": ... %d of them after the %d s timeout and a relay sweep, the last at %.1f s"
                     % (len(late), MEDIA_TIMEOUT, seen[-1][0] if seen else 0),
                     len(late) >= 4 and late[-1][0] >= RING_SECONDS - 1
                     and all(x[1:] == ("ringing", "relayed") for x in late), summary)
        line = released_line(caller.call_id)
        checks.check(what + ": the log has no '%s' while it rings" % line, line not in log_text(daemon))
        line = no_media_line(caller.call_id)
        # the 200 with a plain answer: WebRTC on the relay for the browser
        mark = len(log_text(daemon))
        phone.respond(inv, 200, "OK", callee.local_tag, body=phone_sdp(port_of(p_media), 1701))
        t_answer = time.monotonic()
        ok = browser.expect_response(caller.call_id, "INVITE", caller.invite_cseq)
        if not checks.check(what + ": 200 reaches the browser", ok is not None and ok.status == 200,
                            status_of(ok)):
            raise AssertionError("no 200 at the browser")
        caller.established(ok)
        port = check_webrtc(checks, what + ": 200 at the browser", ok, "passive", RELAY_PORTS)[3]
        checks.check(what + ": the browser's relay port is not the phone's",
                     port != audio_port(text(inv)), "%s %s" % (port, audio_port(text(inv))))
        caller.ack()
        checks.check(what + ": the ACK reaches the phone", phone.expect_request("ACK", caller.call_id) is not None)
        check_live_call(checks, what + ": answered", daemon, caller, relayed=True, codec="opus/48000")

        # 18: nothing sent after the ACK: the relay's timeout, then the sweep
        what = "18 no media after the answer"
        deleted = wait_log_from(daemon, mark, line,
                                max(0.5, t_answer + MEDIA_TIMEOUT + CALLS_SWEEP + 2 - time.monotonic()))
        after = time.monotonic() - t_answer
        checks.check(what + ": the call list ends the call after the 200 ('%s', at %.1f s)" % (line, after),
                     deleted and "ended by no media" in log_text(daemon)[mark:])
        checks.check(what + ": ... and the relay releases its ports",
                     wait_log_from(daemon, mark, released_line(caller.call_id), 1.0))
        if deleted:
            notes.append("18: '%s' seen %.1f s after the 200" % (line, after))
            checks.check(what + ": ... not before the %d s timeout" % MEDIA_TIMEOUT, after >= MEDIA_TIMEOUT - 0.2,
                         "%.2f s" % after)
        t_deleted = time.monotonic()
        r, parsed = wait_calls(daemon, lambda p: p["count"] == 0, timeout=CALLS_SWEEP + 1.5)
        checks.check(what + ": `calls` shows 0 calls (%.1f s later)" % (time.monotonic() - t_deleted),
                     r.returncode == 0 and r.stdout == "0 calls\n", ctl_output(r))
        cdr = check_cdr(checks, what, daemon, caller, "answered", 200, relayed=True, ended_by="no media")
        if cdr is not None:
            notes.append("18: the CDR says media %s, codec %s, caller in %s, callee in %s"
                         % (cdr["media"], cdr["codec"], cdr["caller_in"], cdr["callee_in"]))
    finally:
        b_media.close()
        p_media.close()


# ---- the runs --------------------------------------------------------------------

def register_users(checks, daemon, label, users, uas):
    """Add these (user, kind) to the daemon and register a UA for each; the
    UAs go into uas as they are made, so that whoever owns uas closes them
    even when this fails half-way."""
    for user, kind in users:
        password = siplib.token(12)
        r = daemon.ctl("user", "add", user, password)
        if not checks.check("[%s] rtcbridge-ctl user add %s" % (label, user), r.returncode == 0,
                            r.stderr.strip()):
            raise AssertionError("cannot add users")
        ua = UA(kind, user, password)
        uas[user] = ua
        r = ua.register()
        if not checks.check("[%s] %s registers over %s" % (label, user, "WS" if kind == "browser" else "UDP"),
                            r is not None and r.status == 200, status_of(r)):
            raise AssertionError("cannot register %s" % user)


def run(build, checks, mode, body, timeout=None):
    """Start a daemon in this anchor mode (with this [media] timeout, when
    given) with the browser and phones registered, run body(daemon, uas),
    stop it; True when it went well. Whatever happened, the UAs are closed
    and the daemon stopped before the next one starts."""
    failed = True
    label = mode if timeout is None else "%s, timeout %d" % (mode, timeout)
    daemon = siplib.Daemon(build, "anchor-" + mode + ("-timeout" if timeout is not None else ""),
                           extra=extra(mode, timeout))
    uas = {}
    before = len(checks.failed)
    try:
        users = [("browser", "browser"), ("phone", "phone"), ("phone2", "phone")]
        if timeout is not None:
            users = users[:2]
        daemon.start()
        register_users(checks, daemon, label, users, uas)
        body(daemon, uas)
        checks.check("[%s] daemon still running" % label, daemon.running())
        err = daemon.stop()
        checks.check("[%s] clean shutdown on SIGTERM" % label, err is None, err or "")
        r = daemon.ctl("calls")
        checks.check("[%s] `calls` after the stop fails naming control.sock" % label,
                     r.returncode != 0 and "control.sock" in r.stderr, ctl_output(r))
        failed = len(checks.failed) > before
    except (AssertionError, OSError, ValueError) as e:
        checks.check("[%s] ran to the end" % label, False, str(e))
    finally:
        for ua in uas.values():
            ua.close()
        daemon.stop()
        daemon.cleanup(failed)
    return not failed


def auto_body(checks):
    def body(daemon, uas):
        b, p, p2 = uas["browser"], uas["phone"], uas["phone2"]
        for scenario in (browser_calls_phone, phone_calls_browser, cancelled_call, late_offer,
                         malformed_sdp):
            try:
                scenario(checks, daemon, b, p)
            except AssertionError as e:
                checks.check("%s ran to the end" % scenario.__name__, False, str(e))
            b.drain()
            p.drain()
        phone_to_phone_direct(checks, daemon, p, p2)
        for how in ("busy", "cancel"):
            try:
                refused_call(checks, daemon, how, p, p2, False, "9 phone->phone %s (auto)" % how)
            except AssertionError as e:
                checks.check("refused_call %s ran to the end" % how, False, str(e))
            p.drain()
            p2.drain()
    return body


def always_body(checks):
    def body(daemon, uas):
        p, p2 = uas["phone"], uas["phone2"]
        a_media, b_media = media_socket(), media_socket()
        try:
            offer = phone_sdp(a_media.getsockname()[1], 7101, codecs="0 8 101")
            caller = Call.start(p, "phone2", offer)
            answer = phone_sdp(b_media.getsockname()[1], 7102, codecs="0 8 101")
            inv, callee, ok = ring_and_answer(checks, "7b phone->phone (always)", caller, p2, answer)
            port_b = audio_port(text(inv))  # where phone B sends
            port_a = audio_port(text(ok))   # where phone A sends
            for what, msg, port in (("INVITE at phone B", inv, port_b), ("200 at phone A", ok, port_a)):
                sdp = text(msg)
                checks.check("7b %s: m=audio RTP/AVP 0 8 101 on a relay port" % what,
                             in_range(port) and re.search(r"^m=audio \d+ RTP/AVP 0 8 101\s*$", sdp, re.M)
                             is not None, sdp)
                checks.check("7b %s: every c= is 127.0.0.1" % what,
                             c_addrs(sdp) and all(a == HOST for a in c_addrs(sdp)), sdp)
                checks.check("7b %s: no ICE/DTLS/crypto added" % what,
                             not re.search(r"^a=(ice-|candidate|fingerprint|setup|crypto)", sdp, re.M), sdp)
                check_content_length(checks, "7b " + what, msg)
            checks.check("7b the relay ports differ from the phones' own",
                         port_a not in (a_media.getsockname()[1], b_media.getsockname()[1])
                         and port_b not in (a_media.getsockname()[1], b_media.getsockname()[1])
                         and port_a != port_b, "%s %s" % (port_a, port_b))
            # 10: B sends its 200 again before the ACK (as a UAS does until
            # it is ACKed); the proxy forwards it (RFC 6026) with the same
            # rewritten SDP.
            p2.respond(inv, 200, "OK", callee.local_tag, body=answer)
            ok2 = p.expect_response(caller.call_id, "INVITE", caller.invite_cseq, timeout=2.0)
            checks.check("10 the retransmitted 200 reaches phone A", ok2 is not None and ok2.status == 200,
                         status_of(ok2))
            if ok2 is not None:
                checks.check("10 the retransmitted 200 at A: same relay port %s" % port_a,
                             audio_port(text(ok2)) == port_a, text(ok2))
                checks.check("10 the retransmitted 200 at A: the same SDP as the first", ok2.body == ok.body,
                             "first:\n%s\nagain:\n%s" % (text(ok), text(ok2)))
                check_content_length(checks, "10 the retransmitted 200 at A", ok2)
            caller.ack()
            checks.check("7b the ACK reaches phone B", p2.expect_request("ACK", caller.call_id) is not None)
            # what the relay must have counted: packets each phone sent, and
            # those that reached it through the relay
            count = {"a_sent": 0, "b_sent": 0, "a_got": 0, "b_got": 0}

            def exchange(src, port, dst, ssrc, sent_key, got_key):
                sent, got = send_and_receive(src, port, dst, ssrc, count=10, wait=2, stride=RTP_STRIDE)
                count[sent_key] += len(sent)
                count[got_key] += len(got)
                return sent, got

            def legs():
                return {"caller": {"port": port_a, "remote": "%s:%d" % (HOST, a_media.getsockname()[1]),
                                   "in": count["a_sent"], "out": count["a_got"]},
                        "callee": {"port": port_b, "remote": "%s:%d" % (HOST, b_media.getsockname()[1]),
                                   "in": count["b_sent"], "out": count["b_got"]}}
            if in_range(port_a) and in_range(port_b):
                sent, got = exchange(a_media, port_a, b_media, 0xA0A0A0A0, "a_sent", "b_got")
                checks.check("7b RTP A -> relay -> B: %d of %d, unchanged" % (len(got), len(sent)),
                             got == sent, "%d received, %d equal" % (len(got), sum(x == y for x, y in zip(sent, got))))
                sent, got = exchange(b_media, port_b, a_media, 0xB0B0B0B0, "b_sent", "a_got")
                checks.check("7b RTP B -> relay -> A: %d of %d, unchanged" % (len(got), len(sent)),
                             got == sent, "%d received, %d equal" % (len(got), sum(x == y for x, y in zip(sent, got))))
                check_live_call(checks, "11 calls (always)", daemon, caller, relayed=True, codec="PCMU/8000",
                                legs=legs())
                # hold from A (sendonly): A still sends, nothing goes to A
                # (ng_calls.h); resume: both ways again. Ports stay.
                for n, (dir_out, dir_back) in enumerate((("sendonly", "recvonly"), ("sendrecv", "sendrecv"))):
                    what = "7b %s re-INVITE from A" % ("hold" if n == 0 else "resume")
                    cseq = caller.request("INVITE", phone_sdp(a_media.getsockname()[1], 7101, codecs="0 8 101",
                                                              direction=dir_out, version=2 + n))
                    reinv = p2.expect_request("INVITE", caller.call_id, cseq=cseq)
                    if not checks.check(what + " reaches B with a=%s on the same relay port" % dir_out,
                                        reinv is not None and direction(text(reinv)) == dir_out
                                        and audio_port(text(reinv)) == port_b, text(reinv)):
                        break
                    p2.respond(reinv, 200, "OK", body=phone_sdp(b_media.getsockname()[1], 7102, codecs="0 8 101",
                                                                direction=dir_back, version=2 + n))
                    rok = p.expect_response(caller.call_id, "INVITE", cseq)
                    if not checks.check(what + ": A gets a=%s on the same relay port" % dir_back,
                                        rok is not None and rok.status == 200 and direction(text(rok)) == dir_back
                                        and audio_port(text(rok)) == port_a, status_of(rok) + "\n" + text(rok)):
                        break
                    caller.ack_in_dialog(cseq)
                    p2.expect_request("ACK", caller.call_id, cseq=cseq, timeout=1.0)
                    sent, got = exchange(a_media, port_a, b_media, 0xA1A1A1A1 + n, "a_sent", "b_got")
                    checks.check(what + ": RTP A -> B still flows", got == sent,
                                 "%d of %d" % (len(got), len(sent)))
                    sent, got = exchange(b_media, port_b, a_media, 0xB1B1B1B1 + n, "b_sent", "a_got")
                    if n == 0:
                        checks.check(what + ": RTP B -> A is not forwarded to the held side", got == [],
                                     "%d of %d arrived" % (len(got), len(sent)))
                    else:
                        checks.check(what + ": RTP B -> A flows again", got == sent,
                                     "%d of %d" % (len(got), len(sent)))
                checks.check("11 more packets went each way (%d A, %d B)" % (count["a_sent"], count["b_sent"]),
                             count["a_sent"] > 10 and count["b_sent"] > 10, repr(count))
                check_live_call(checks, "11 calls (always) after more packets", daemon, caller, relayed=True,
                                codec="PCMU/8000", legs=legs())
            hangup(checks, "7b BYE from phone B", daemon, callee, p)
            check_no_calls(checks, "12 after the BYE", daemon)
            check_cdr(checks, "12 phone->phone (always)", daemon, caller, "answered", 200, relayed=True,
                      ended_by="callee", codec="PCMU/8000", caller_in=count["a_sent"], callee_in=count["b_sent"])
        finally:
            a_media.close()
            b_media.close()
        for how in ("busy", "cancel"):
            try:
                refused_call(checks, daemon, how, p, p2, True, "9 phone->phone %s (always)" % how)
            except AssertionError as e:
                checks.check("refused_call %s ran to the end" % how, False, str(e))
            p.drain()
            p2.drain()
        for scenario, args in ((reinvite_new_port, (p, p2)), (update_hold, (p, p2)), (early_media, (p, p2)),
                               (forked_early_media, (p,))):
            try:
                scenario(checks, daemon, *args)
            except AssertionError as e:
                checks.check("%s ran to the end" % scenario.__name__, False, str(e))
            p.drain()
            p2.drain()
    return body


def never_body(checks):
    def body(daemon, uas):
        b, p = uas["browser"], uas["phone"]
        b_media, p_media = media_socket(), media_socket()
        try:
            offer = browser_sdp(b_media.getsockname()[1], "actpass")
            caller = Call.start(b, "phone", offer)
            answer = phone_sdp(p_media.getsockname()[1], 6006)
            inv, callee, ok = ring_and_answer(checks, "6 browser->phone (never)", caller, p, answer)
            checks.check("6 the INVITE's SDP reaches the phone byte-identical", inv.body == offer.encode(),
                         text(inv))
            checks.check("6 the 200's SDP reaches the browser byte-identical", ok.body == answer.encode(),
                         text(ok))
            caller.ack()
            checks.check("6 the ACK reaches the phone", p.expect_request("ACK", caller.call_id) is not None)
            cseq = callee.request("BYE")
            bye = b.expect_request("BYE", caller.call_id, cseq=cseq)
            if bye is not None:
                b.respond(bye, 200, "OK")
            r = p.expect_response(caller.call_id, "BYE", cseq)
            checks.check("6 BYE answered", r is not None and r.status == 200, status_of(r))
            checks.check("6 no media call in the log", "media: call" not in log_text(daemon))
        finally:
            b_media.close()
            p_media.close()
    return body


def timeout_body(checks):
    def body(daemon, uas):
        notes = []
        try:
            ringing_past_timeout(checks, daemon, uas["browser"], uas["phone"], notes)
        except AssertionError as e:
            checks.check("ringing_past_timeout ran to the end", False, str(e))
        if os.environ.get("VERBOSE"):
            for note in notes:
                print("[%s] note %s" % (NAME, note))
    return body


def main():
    build = siplib.build_dir()
    checks = siplib.Checks(NAME)
    t0 = time.monotonic()
    run(build, checks, "auto", auto_body(checks))
    run(build, checks, "always", always_body(checks))
    run(build, checks, "never", never_body(checks))
    run(build, checks, "auto", timeout_body(checks), timeout=MEDIA_TIMEOUT)
    ok = checks.summary()
    if os.environ.get("VERBOSE"):
        print("[%s] %.1f s" % (NAME, time.monotonic() - t0))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
