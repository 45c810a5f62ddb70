"""nglib.py - the rtpengine ng protocol from the test side (Python stdlib only).

What the tests that drive rtcbridge over ng (test_ng.py, test_ng_webrtc.py,
test_ng_timeout.py, and the Kamailio test's RTP stand-ins) share:

- bencode: benc() encodes ints, str/bytes, lists and dicts; bdec() decodes
  (strings come back as str, latin-1);
- Ng: a client on a UDP socket of its own, "<cookie> <bencoded dict>" out,
  the reply matched by cookie, every wait bounded;
- the ng tests' daemon settings (config_extra: ng_listen, relay ports) and
  their phone (phone_sdp: PCMU, PCMA and telephone-event).

SDP and RTP helpers are in medialib.py, SIP and the daemon in siplib.py.
"""

import os
import socket

import medialib

HOST = "127.0.0.1"
NG_PORT = 25223                # [media] ng_listen of the ng tests' daemon
PORT_MIN, PORT_MAX = 25300, 25399  # its relay ports
RELAY_PORTS = (PORT_MIN, PORT_MAX)


def config_extra(timeout=None):
    """The [media] section of the ng tests' daemon; timeout: its `timeout`
    (s), else the default."""
    return """
[media]
ng_listen = %s:%d
port_min = %d
port_max = %d
bind_address = %s
workers = 1
%s""" % (HOST, NG_PORT, PORT_MIN, PORT_MAX, HOST, "timeout = %d\n" % timeout if timeout is not None else "")


def phone_sdp(port, sess):
    """The ng tests' phone: PCMU, PCMA and telephone-event (RTP/AVP 0 8 101)."""
    return medialib.phone_sdp(port, sess, codecs="0 8 101")


# ---- bencode ---------------------------------------------------------------

def benc(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(benc(x) for x in v) + b"e"
    if isinstance(v, dict):
        return b"d" + b"".join(benc(k) + benc(x) for k, x in v.items()) + b"e"
    raise TypeError(type(v))


def bdec(data, i=0):
    """(value, next index); strings come back as str (latin-1)."""
    c = data[i:i + 1]
    if c == b"i":
        end = data.index(b"e", i)
        return int(data[i + 1:end]), end + 1
    if c == b"l":
        i += 1
        out = []
        while data[i:i + 1] != b"e":
            v, i = bdec(data, i)
            out.append(v)
        return out, i + 1
    if c == b"d":
        i += 1
        out = {}
        while data[i:i + 1] != b"e":
            k, i = bdec(data, i)
            v, i = bdec(data, i)
            out[k] = v
        return out, i + 1
    colon = data.index(b":", i)
    n = int(data[i:colon])
    return data[colon + 1:colon + 1 + n].decode("latin-1"), colon + 1 + n


# ---- the client ----------------------------------------------------------------

class Ng:
    """An ng client on its own UDP socket (an ephemeral port on HOST) towards
    HOST:port. close() it when done."""

    def __init__(self, port=NG_PORT, host=HOST):
        self.addr = (host, port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.settimeout(3)
        self.n = 0

    def raw(self, datagram, wait=3.0):
        """Send a datagram; the raw reply, or None after `wait` seconds."""
        self.sock.settimeout(wait)
        self.sock.sendto(datagram, self.addr)
        try:
            return self.sock.recvfrom(65536)[0]
        except socket.timeout:
            return None

    def request(self, body, cookie=None):
        """(cookie, raw reply, decoded dict or None)."""
        if cookie is None:
            self.n += 1
            cookie = "%d_%d" % (os.getpid(), self.n)
        raw = self.raw(cookie.encode() + b" " + benc(body))
        if raw is None:
            return cookie, None, None
        head, _, rest = raw.partition(b" ")
        if head != cookie.encode():
            return cookie, raw, None
        return cookie, raw, bdec(rest)[0]

    def close(self):
        self.sock.close()
