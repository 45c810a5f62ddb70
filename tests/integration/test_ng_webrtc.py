#!/usr/bin/env python3
"""test_ng_webrtc.py BUILD_DIR - rtcbridge as rtpengine between a WebRTC
side and a plain SIP phone, driven over ng as a Kamailio WebRTC config
drives it (nglib.py's daemon settings, ng client and phone).

Browser offers, phone answers:
  - offer from a browser-like SDP (UDP/TLS/RTP/SAVPF, ICE, fingerprint,
    setup:actpass, rtcp-mux, a candidate) with transport-protocol RTP/AVP,
    ICE remove, DTLS off -> RTP/AVP, no ICE, no fingerprint, no setup;
  - answer from the phone with transport-protocol UDP/TLS/RTP/SAVPF, ICE
    force -> SAVPF, a=ice-lite, ice-ufrag/pwd, one host candidate on the
    relay port, end-of-candidates, fingerprint sha-256, setup:passive,
    rtcp-mux;
  - a STUN binding request (USERNAME "<our ufrag>:<browser ufrag>",
    MESSAGE-INTEGRITY keyed by our pwd, FINGERPRINT) to that candidate is
    answered with a success whose integrity verifies and which maps our
    source; a wrong pwd gets a 401. We are the DTLS server: nothing else
    comes back.
Phone offers, browser answers (SDP level, plus STUN):
  - offer with transport-protocol UDP/TLS/RTP/SAVPF, ICE force -> the
    WebRTC SDP with setup:actpass; the browser answers setup:passive with
    transport-protocol RTP/AVP, ICE remove -> plain SDP to the phone; the
    endpoint facing the browser is the DTLS client: after a valid binding
    request it sends a ClientHello; the phone, which did not offer
    rtcp-mux, gets none in the answer.
SDES phone offers, plain phone answers (SDP level, plus media one way):
  - offer with RTP/SAVP and two a=crypto (an unsupported suite first, then
    AES_CM_128_HMAC_SHA1_80) with transport-protocol RTP/AVP -> RTP/AVP
    without a=crypto;
  - answer from the plain phone with transport-protocol RTP/SAVP ->
    RTP/SAVP with exactly one a=crypto: the tag of the offer's usable line,
    its suite, a fresh 30-byte inline key;
  - plain RTP from the plain phone reaches the SDES phone 10 bytes longer
    (the 80-bit tag) with its payload changed: it was protected.
"""
import base64
import hashlib
import hmac
import os
import re
import socket
import struct
import sys
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import siplib  # noqa: E402
from medialib import (BROWSER_UFRAG, audio_port, browser_sdp, check_plain, check_webrtc, media_socket,  # noqa: E402
                      send_and_receive)
from nglib import HOST, RELAY_PORTS, Ng, config_extra, phone_sdp  # noqa: E402

MAGIC = 0x2112A442


# ---- STUN (RFC 8489) -------------------------------------------------------

def stun_attr(kind, value):
    pad = (4 - len(value) % 4) % 4
    return struct.pack("!HH", kind, len(value)) + value + b"\0" * pad


def stun_request(username, pwd):
    """A binding request as a browser sends it: (bytes, transaction id)."""
    tid = os.urandom(12)
    body = (stun_attr(0x0006, username.encode()) + stun_attr(0x0024, struct.pack("!I", 1853824767))
            + stun_attr(0x802A, os.urandom(8)) + stun_attr(0x0025, b""))
    head = struct.pack("!HHI", 0x0001, len(body) + 24, MAGIC) + tid
    mac = hmac.new(pwd.encode(), head + body, hashlib.sha1).digest()
    body += stun_attr(0x0008, mac)
    head = struct.pack("!HHI", 0x0001, len(body) + 8, MAGIC) + tid
    crc = (zlib.crc32(head + body) ^ 0x5354554E) & 0xFFFFFFFF
    return head + body + stun_attr(0x8028, struct.pack("!I", crc)), tid


def stun_parse(data):
    """(type, tid, [(kind, value, offset)]) or None."""
    if len(data) < 20:
        return None
    kind, length, magic = struct.unpack("!HHI", data[:8])
    if magic != MAGIC or len(data) != 20 + length:
        return None
    attrs, i = [], 20
    while i + 4 <= len(data):
        t, n = struct.unpack("!HH", data[i:i + 4])
        attrs.append((t, data[i + 4:i + 4 + n], i))
        i += 4 + n + (4 - n % 4) % 4
    return kind, data[8:20], attrs


def stun_integrity_ok(data, attrs, pwd):
    for t, value, at in attrs:
        if t == 0x0008:
            head = data[:2] + struct.pack("!H", at + 24 - 20) + data[4:20]
            return hmac.compare_digest(hmac.new(pwd.encode(), head + data[20:at], hashlib.sha1).digest(), value)
    return False


def xor_mapped(attrs, tid):
    for t, value, _ in attrs:
        if t == 0x0020 and len(value) == 8 and value[1] == 1:
            port = struct.unpack("!H", value[2:4])[0] ^ (MAGIC >> 16)
            addr = struct.unpack("!I", value[4:8])[0] ^ MAGIC
            return socket.inet_ntoa(struct.pack("!I", addr)), port
    return None


def stun_exchange(sock, port, username, pwd):
    """Send one binding request to the relay port; (parsed reply, raw, tid)."""
    request, tid = stun_request(username, pwd)
    sock.settimeout(0.2)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        sock.sendto(request, (HOST, port))
        try:
            while True:
                data = sock.recv(2048)
                parsed = stun_parse(data)
                if parsed and parsed[1] == tid:
                    return parsed, data, tid
        except socket.timeout:
            pass
    return None, None, tid


def receive_dtls(sock, wait):
    """The first DTLS record (content type 20-63) within wait seconds."""
    sock.settimeout(0.1)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            data = sock.recv(4096)
        except socket.timeout:
            continue
        if data and 20 <= data[0] <= 63:
            return data
    return None


# ---- SDP -------------------------------------------------------------------

def check_stun(checks, what, sock, port, ufrag, pwd):
    """The wrong pwd first: a DTLS client answers the valid request with a
    ClientHello, which must stay in the socket for the caller."""
    reply, raw, _ = stun_exchange(sock, port, "%s:%s" % (ufrag, BROWSER_UFRAG), "not-our-password-at-all")
    checks.check(what + ": wrong pwd -> 401", reply is not None and reply[0] == 0x0111 and b"\x04\x01" in raw,
                 repr(raw))
    reply, raw, _ = stun_exchange(sock, port, "%s:%s" % (ufrag, BROWSER_UFRAG), pwd)
    checks.check(what + ": binding success", reply is not None and reply[0] == 0x0101, repr(raw))
    if reply:
        checks.check(what + ": its integrity verifies with our pwd", stun_integrity_ok(raw, reply[2], pwd), repr(raw))
        checks.check(what + ": it maps our source", xor_mapped(reply[2], reply[1]) == sock.getsockname(),
                     repr(xor_mapped(reply[2], reply[1])))


def ok_sdp(checks, what, r):
    ok = checks.check(what + " -> ok with sdp", r is not None and r.get("result") == "ok" and "sdp" in r, repr(r))
    if not ok:
        raise AssertionError("no usable %s reply" % what)
    return r["sdp"]


def browser_offers(checks, ng, browser, phone):
    call_id = "ngw-1-%d@%s" % (os.getpid(), HOST)
    _, _, r = ng.request({"command": "offer", "call-id": call_id, "from-tag": "browser",
                          "sdp": browser_sdp(browser.getsockname()[1], "actpass"),
                          "transport-protocol": "RTP/AVP", "ICE": "remove", "DTLS": "off",
                          "received-from": ["IP4", HOST], "rtcp-mux": ["demux"]})
    sdp = ok_sdp(checks, "browser offer", r)
    check_plain(checks, "offer to the phone", sdp, RELAY_PORTS)
    checks.check("offer to the phone: rtcp-mux demuxed", "a=rtcp-mux" not in sdp, sdp)

    _, _, r = ng.request({"command": "answer", "call-id": call_id, "from-tag": "browser", "to-tag": "phone",
                          "sdp": phone_sdp(phone.getsockname()[1], 3003).replace("RTP/AVP 0 8 101",
                                                                                 "RTP/AVP 111 0"),
                          "transport-protocol": "UDP/TLS/RTP/SAVPF", "ICE": "force"})
    sdp = ok_sdp(checks, "phone answer", r)
    ufrag, pwd, _, port = check_webrtc(checks, "answer to the browser", sdp, "passive", RELAY_PORTS)
    if port:
        check_stun(checks, "STUN to the answer's candidate", browser, port, ufrag, pwd)
        checks.check("we are the DTLS server: no ClientHello", receive_dtls(browser, 0.7) is None)
    ng.request({"command": "delete", "call-id": call_id})


def phone_offers(checks, ng, browser, phone):
    call_id = "ngw-2-%d@%s" % (os.getpid(), HOST)
    _, _, r = ng.request({"command": "offer", "call-id": call_id, "from-tag": "phone",
                          "sdp": phone_sdp(phone.getsockname()[1], 4004).replace("RTP/AVP 0 8 101",
                                                                                 "RTP/AVP 111 0"),
                          "transport-protocol": "UDP/TLS/RTP/SAVPF", "ICE": "force",
                          "received-from": ["IP4", HOST]})
    sdp = ok_sdp(checks, "phone offer", r)
    ufrag, pwd, _, port = check_webrtc(checks, "offer to the browser", sdp, "actpass", RELAY_PORTS)

    _, _, r = ng.request({"command": "answer", "call-id": call_id, "from-tag": "phone", "to-tag": "browser",
                          "sdp": browser_sdp(browser.getsockname()[1], "passive"),
                          "transport-protocol": "RTP/AVP", "ICE": "remove", "DTLS": "off"})
    sdp = ok_sdp(checks, "browser answer", r)
    check_plain(checks, "answer to the phone", sdp, RELAY_PORTS)
    checks.check("answer to the phone: no rtcp-mux (it did not offer it)", "a=rtcp-mux" not in sdp, sdp)
    if port:
        check_stun(checks, "STUN to the offer's candidate", browser, port, ufrag, pwd)
        hello = receive_dtls(browser, 3)
        checks.check("browser answered passive: we send a ClientHello",
                     hello is not None and hello[0] == 22 and len(hello) > 13 and hello[13] == 1, repr(hello))
    ng.request({"command": "delete", "call-id": call_id})


def sdes_phone_offers(checks, ng, sdes_phone, phone):
    call_id = "ngw-3-%d@%s" % (os.getpid(), HOST)
    key = base64.b64encode(os.urandom(30)).decode()
    offer = phone_sdp(sdes_phone.getsockname()[1], 5005).replace("RTP/AVP 0 8 101", "RTP/SAVP 0 8 101")
    offer += ("a=crypto:1 F8_128_HMAC_SHA1_80 inline:%s\r\n"
              "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:%s\r\n" % (key, key))
    _, _, r = ng.request({"command": "offer", "call-id": call_id, "from-tag": "sdes",
                          "sdp": offer, "transport-protocol": "RTP/AVP",
                          "received-from": ["IP4", HOST]})
    sdp = ok_sdp(checks, "SDES phone offer", r)
    checks.check("offer to the plain phone: m=audio RTP/AVP", re.search(r"^m=audio \d+ RTP/AVP 0 8 101\s*$",
                                                                       sdp, re.M) is not None, sdp)
    checks.check("offer to the plain phone: no a=crypto", "a=crypto" not in sdp, sdp)
    plain_port = audio_port(sdp)

    _, _, r = ng.request({"command": "answer", "call-id": call_id, "from-tag": "sdes", "to-tag": "plain",
                          "sdp": phone_sdp(phone.getsockname()[1], 6006), "transport-protocol": "RTP/SAVP"})
    sdp = ok_sdp(checks, "plain phone answer", r)
    checks.check("answer to the SDES phone: m=audio RTP/SAVP", re.search(r"^m=audio \d+ RTP/SAVP 0 8 101\s*$",
                                                                        sdp, re.M) is not None, sdp)
    cryptos = re.findall(r"^a=crypto:(.*?)\s*$", sdp, re.M)
    m = re.fullmatch(r"2 AES_CM_128_HMAC_SHA1_80 inline:([A-Za-z0-9+/=]{40})", cryptos[0]) if len(cryptos) == 1 \
        else None
    ours = base64.b64decode(m.group(1)) if m else b""
    checks.check("answer to the SDES phone: one a=crypto, tag 2, suite and a 30-byte key of ours",
                 len(ours) == 30 and m.group(1) != key, repr(cryptos))

    if plain_port:
        sdes_phone.settimeout(0.05)
        try:
            while sdes_phone.recv(4096):  # what earlier calls left
                pass
        except socket.timeout:
            pass
        sent, got = send_and_receive(phone, plain_port, sdes_phone, 0x5DE5, count=20)
        checks.check("RTP to the SDES phone arrives", len(got) >= 15, "%d of %d" % (len(got), len(sent)))
        checks.check("it is SRTP: 10 bytes longer, header kept, payload changed",
                     got and all(len(g) == len(sent[0]) + 10 and g[:12] in [p[:12] for p in sent]
                                 and g[12:len(sent[0])] not in [p[12:] for p in sent] for g in got),
                     repr([len(g) for g in got]))
    ng.request({"command": "delete", "call-id": call_id})


def main():
    checks = siplib.Checks("test_ng_webrtc")
    ng = Ng()
    browser, phone = media_socket(), media_socket()
    daemon = siplib.Daemon(siplib.build_dir(), "ngw", extra=config_extra())

    def steps():
        browser_offers(checks, ng, browser, phone)
        phone_offers(checks, ng, browser, phone)
        sdes_phone_offers(checks, ng, browser, phone)

    return siplib.run_test(checks, daemon, steps, cleanup=(ng.close, browser.close, phone.close))


if __name__ == "__main__":
    sys.exit(main())
