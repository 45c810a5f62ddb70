"""medialib.py - media helpers shared by the integration tests (Python stdlib only).

What the media tests (test_anchor.py, test_ng.py, test_ng_webrtc.py,
test_ng_timeout.py) all need around the relay, kept in one place:

- SDP templates: what a browser (WebRTC: ICE, DTLS, rtcp-mux) and what a
  plain phone (RTP/AVP) offer or answer, on 127.0.0.1;
- SDP reading: an a= attribute, the m=audio port, the c= addresses;
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


# ---- RTP -------------------------------------------------------------------

def rtp(seq, ssrc, stride=1):
    """RTP packet seq (PT 0, 160 payload bytes: byte i is seq * stride + i)."""
    return struct.pack("!BBHII", 0x80, 0, seq, seq * 160, ssrc) + bytes((seq * stride + i) & 0xff
                                                                        for i in range(160))


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
