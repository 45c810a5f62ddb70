"""medialib.py - media helpers shared by the integration tests (Python stdlib only).

What the media tests (test_anchor.py, test_ng.py, test_ng_webrtc.py,
test_ng_timeout.py) all need around the relay, kept in one place:

- SDP templates: what a browser (WebRTC: ICE, DTLS, rtcp-mux) and what a
  plain phone (RTP/AVP) offer or answer, on 127.0.0.1;
- SDP reading: an a= attribute, the m=audio port, the c= addresses;
- checks of an SDP the relay rewrote: plain for a phone (check_plain),
  WebRTC for a browser (check_webrtc), and of the SIP message carrying it
  (Content-Type, Content-Length);
- RTP: building a packet, sending a burst to a relay port and collecting
  what arrives at the far socket.

SIP itself (requests, responses, the daemon, checks) lives in siplib.py.
"""

import re
import socket
import struct
import time

HOST = "127.0.0.1"

BROWSER_UFRAG = "brws"
BROWSER_PWD = "browserpasswordbrowserpw"
BROWSER_FP = ":".join("%02X" % i for i in range(32))


# ---- SDP templates ---------------------------------------------------------

def browser_sdp(port, setup, direction="sendrecv"):
    """What a browser offers or answers: ICE, DTLS (a=setup:setup), rtcp-mux."""
    return ("v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
            "a=group:BUNDLE 0\r\na=msid-semantic: WMS\r\n"
            "m=audio %d UDP/TLS/RTP/SAVPF 111 0\r\nc=IN IP4 %s\r\n"
            "a=rtcp:9 IN IP4 0.0.0.0\r\n"
            "a=candidate:1 1 udp 2122260223 %s %d typ host generation 0\r\n"
            "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=ice-options:trickle\r\n"
            "a=fingerprint:sha-256 %s\r\na=setup:%s\r\na=mid:0\r\na=%s\r\n"
            "a=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\n"
            % (port, HOST, HOST, port, BROWSER_UFRAG, BROWSER_PWD, BROWSER_FP, setup, direction))


def phone_sdp(port, sess, codecs="111 0", direction="sendrecv", version=1):
    """What a plain phone offers or answers: RTP/AVP with codecs (payload
    types out of 111, 0, 8, 101), o= session sess and version."""
    rtpmap = {"111": "a=rtpmap:111 opus/48000/2\r\n", "0": "a=rtpmap:0 PCMU/8000\r\n",
              "8": "a=rtpmap:8 PCMA/8000\r\n",
              "101": "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"}
    return ("v=0\r\no=- %d %d IN IP4 %s\r\ns=phone\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP %s\r\n%sa=ptime:20\r\na=%s\r\n"
            % (sess, version, HOST, HOST, port, codecs,
               "".join(rtpmap[c] for c in codecs.split()), direction))


# ---- SDP reading -----------------------------------------------------------

def attr(sdp, name):
    """The value of the first a=name:value line, else None."""
    m = re.search(r"^a=%s:(.*?)\s*$" % re.escape(name), sdp, re.M)
    return m.group(1) if m else None


def audio_port(sdp):
    """The m=audio port, else None."""
    m = re.search(r"^m=audio (\d+) ", sdp, re.M)
    return int(m.group(1)) if m else None


def c_addrs(sdp):
    """Every c=IN IP4 address, in order."""
    return re.findall(r"^c=IN IP4 (\S+)\s*$", sdp, re.M)


def media_of(sdp):
    """(c= addresses, m=audio port) of an SDP text."""
    return c_addrs(sdp), audio_port(sdp)


# ---- checks of a rewritten SDP -----------------------------------------------

def sdp_text(sdp):
    """The SDP of a text or of a SIP message (siplib.Message; None: "")."""
    if sdp is None:
        return ""
    if isinstance(sdp, str):
        return sdp
    return sdp.body.decode("utf-8", "replace")


def check_content_type(checks, what, msg):
    """A SIP message (siplib.Message) carrying SDP says so."""
    ctype = msg.get("content-type") if msg is not None else None
    checks.check(what + ": Content-Type application/sdp", (ctype or "").startswith("application/sdp"),
                 str(ctype))


def check_content_length(checks, what, msg):
    """A SIP message's Content-Length matches its body."""
    cl = msg.get("content-length") if msg is not None else None
    checks.check(what + ": Content-Length matches the body",
                 msg is not None and cl is not None and int(cl) == len(msg.body),
                 "Content-Length %r, body %d bytes" % (cl, len(msg.body) if msg is not None else -1))


def _in_range(port, ports):
    return port is not None and ports[0] <= port <= ports[1]


def check_plain(checks, what, sdp, ports, rtcp_line=False):
    """The SDP a phone must get from the relay (sdp: text, or a SIP message,
    whose Content-Type and Content-Length are checked too): m=audio RTP/AVP
    111 0 on a relay port (ports: (lowest, highest)), every c= 127.0.0.1,
    no ICE, DTLS or crypto lines, the codecs kept; with rtcp_line (a
    browser's rtcp-mux demuxed for the phone) no a=rtcp-mux and an a=rtcp
    naming another relay port. Returns the m=audio port."""
    text = sdp_text(sdp)
    port = audio_port(text)
    if not isinstance(sdp, str):
        check_content_type(checks, what, sdp)
    checks.check(what + ": m=audio RTP/AVP on a relay port",
                 _in_range(port, ports) and re.search(r"^m=audio \d+ RTP/AVP 111 0\s*$", text, re.M) is not None,
                 text)
    addrs = c_addrs(text)
    checks.check(what + ": every c= is 127.0.0.1", addrs and all(a == HOST for a in addrs), text)
    checks.check(what + ": no ICE, DTLS or crypto lines", not re.search(
        r"^a=(ice-|candidate|end-of-candidates|fingerprint|setup|crypto|tls-id)", text, re.M), text)
    checks.check(what + ": codecs kept", "a=rtpmap:111 opus/48000/2" in text, text)
    if rtcp_line:
        checks.check(what + ": no a=rtcp-mux (demuxed for the phone)",
                     re.search(r"^a=rtcp-mux\s*$", text, re.M) is None, text)
        rtcp = attr(text, "rtcp") or ""
        m = re.fullmatch(r"(\d+)(?: IN IP4 (\S+))?", rtcp)
        checks.check(what + ": a=rtcp names a relay port at 127.0.0.1",
                     m is not None and _in_range(int(m.group(1)), ports) and int(m.group(1)) != port
                     and m.group(2) in (None, HOST), "a=rtcp:%s" % rtcp)
    if not isinstance(sdp, str):
        check_content_length(checks, what, sdp)
    return port


def check_webrtc(checks, what, sdp, setup, ports):
    """The SDP a browser must get from the relay (sdp: text, or a SIP
    message, whose Content-Length is checked too): m=audio
    UDP/TLS/RTP/SAVPF 111 0 on a relay port (ports: (lowest, highest)),
    a=ice-lite, our ICE credentials once, one host candidate on that port
    and a=end-of-candidates, our sha-256 fingerprint once, a=setup:setup
    once, a=rtcp-mux, no a=crypto. Returns (ufrag, pwd, fingerprint, port)."""
    text = sdp_text(sdp)
    port = audio_port(text)
    checks.check(what + ": m=audio UDP/TLS/RTP/SAVPF on a relay port",
                 _in_range(port, ports) and re.search(r"^m=audio \d+ UDP/TLS/RTP/SAVPF 111 0\s*$", text, re.M)
                 is not None, text)
    checks.check(what + ": a=ice-lite", re.search(r"^a=ice-lite\s*$", text, re.M) is not None, text)
    ufrag, pwd = attr(text, "ice-ufrag"), attr(text, "ice-pwd")
    checks.check(what + ": our ice-ufrag and ice-pwd (once each)",
                 ufrag and pwd and ufrag != BROWSER_UFRAG and pwd != BROWSER_PWD and len(pwd) >= 22
                 and len(re.findall(r"^a=ice-ufrag:", text, re.M)) == 1
                 and len(re.findall(r"^a=ice-pwd:", text, re.M)) == 1,
                 "%r %r" % (ufrag, pwd))
    cands = re.findall(r"^a=candidate:(.*?)\s*$", text, re.M)
    checks.check(what + ": one host candidate on the relay port",
                 cands == ["1 1 udp 2130706431 %s %d typ host" % (HOST, port)], repr(cands))
    checks.check(what + ": a=end-of-candidates", re.search(r"^a=end-of-candidates\s*$", text, re.M) is not None,
                 text)
    fp = attr(text, "fingerprint") or ""
    checks.check(what + ": fingerprint sha-256 (ours)",
                 re.fullmatch(r"sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}", fp) is not None
                 and not fp.endswith(BROWSER_FP) and len(re.findall(r"^a=fingerprint:", text, re.M)) == 1,
                 fp)
    checks.check(what + ": a=setup:" + setup, attr(text, "setup") == setup
                 and len(re.findall(r"^a=setup:", text, re.M)) == 1, text)
    checks.check(what + ": a=rtcp-mux", re.search(r"^a=rtcp-mux\s*$", text, re.M) is not None, text)
    checks.check(what + ": no a=crypto", "a=crypto" not in text, text)
    if not isinstance(sdp, str):
        check_content_length(checks, what, sdp)
    return ufrag, pwd, fp, port


# ---- RTP -------------------------------------------------------------------

def rtp(seq, ssrc, stride=1):
    """RTP packet seq (PT 0, 160 payload bytes: byte i is seq * stride + i)."""
    return struct.pack("!BBHII", 0x80, 0, seq, seq * 160, ssrc) + bytes((seq * stride + i) & 0xff
                                                                        for i in range(160))


def media_socket():
    """A UDP socket on 127.0.0.1, a port of the kernel's choosing: a phone's
    or a browser's media end. The caller closes it."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((HOST, 0))
    return s


def send_and_receive(src, dst_port, dst_sock, ssrc, count=50, wait=3, stride=1):
    """count packets (rtp(..., stride)) src -> 127.0.0.1:dst_port; (sent, those
    dst_sock got within wait s, in order)."""
    sent = [rtp(i, ssrc, stride) for i in range(count)]
    got = []
    dst_sock.settimeout(0.05)
    for p in sent:
        src.sendto(p, (HOST, dst_port))
        time.sleep(0.002)
    deadline = time.monotonic() + wait
    while len(got) < count and time.monotonic() < deadline:
        try:
            got.append(dst_sock.recv(2048))
        except socket.timeout:
            pass
    return sent, got
