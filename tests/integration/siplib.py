"""siplib.py - a tiny SIP client for the integration tests (Python stdlib only).

It builds requests, sends them over UDP or TCP to a loopback address, reads
responses with a deadline, parses them just enough to assert on (start line,
headers, body) and answers Digest challenges. It is deliberately independent
of rtcbridge's own parser: the tests must not share its bugs.

Used by lib.sh to write the daemon's configuration (`python3 siplib.py
config`) and to wait until the daemon answers (`python3 siplib.py ping`), and
by the Python tests, which also run their daemon with it (Daemon, run_test).
"""

import base64
import hashlib
import os
import random
import re
import select
import shutil
import signal
import socket
import ssl
import string
import subprocess
import sys
import tempfile
import time

COMPACT = {
    "i": "call-id", "m": "contact", "e": "content-encoding", "l": "content-length",
    "c": "content-type", "f": "from", "s": "subject", "k": "supported", "t": "to",
    "v": "via", "r": "refer-to", "b": "referred-by", "o": "event", "u": "allow-events",
}

LOOPBACK = ("127.0.0.1", "::1")


def token(n=10):
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(n))


def check_loopback(host):
    """Tests only ever talk to loopback; refuse anything else loudly."""
    if host not in LOOPBACK and not host.startswith("127."):
        raise ValueError("refusing to send to non-loopback address %r" % host)


class Message:
    """A parsed SIP message: start line, (lower-case name, value) headers, body."""

    def __init__(self, raw):
        self.raw = raw
        head, sep, body = raw.partition(b"\r\n\r\n")
        if not sep:
            head, sep, body = raw.partition(b"\n\n")
        self.body = body
        lines = re.split(rb"\r?\n", head)
        self.start = lines[0].decode("utf-8", "replace")
        self.headers = []
        for line in lines[1:]:
            if line[:1] in (b" ", b"\t") and self.headers:  # folded continuation
                name, value = self.headers[-1]
                self.headers[-1] = (name, value + " " + line.strip().decode("utf-8", "replace"))
                continue
            name, colon, value = line.partition(b":")
            if not colon:
                continue
            name = name.strip().decode("utf-8", "replace").lower()
            name = COMPACT.get(name, name)
            self.headers.append((name, value.strip().decode("utf-8", "replace")))
        self.status = None
        self.reason = ""
        self.method = None
        m = re.match(r"SIP/2\.0 (\d{3})(?: (.*))?$", self.start)
        if m:
            self.status = int(m.group(1))
            self.reason = m.group(2) or ""
        else:
            self.method = self.start.split(" ", 1)[0]

    def get(self, name, default=None):
        name = COMPACT.get(name.lower(), name.lower())
        for n, v in self.headers:
            if n == name:
                return v
        return default

    def get_all(self, name):
        name = COMPACT.get(name.lower(), name.lower())
        return [v for n, v in self.headers if n == name]

    @property
    def call_id(self):
        return self.get("call-id", "")

    @property
    def cseq_method(self):
        parts = self.get("cseq", "").split()
        return parts[1] if len(parts) > 1 else ""

    def __repr__(self):
        return "<%s>" % self.start


def status_of(m):
    """A message's start line for a check's detail, or "no answer" for None."""
    return m.start if m is not None else "no answer"


def split_stream(buf):
    """Split complete messages off a TCP byte buffer using Content-Length.

    Returns (messages, rest). A message without Content-Length counts as
    having no body, as RFC 3261 18.3 requires for stream transports."""
    out = []
    while True:
        # Skip keep-alive CRLFs between messages.
        stripped = buf.lstrip(b"\r\n")
        buf = stripped
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return out, buf
        head = buf[:end]
        m = re.search(rb"(?im)^(?:content-length|l)[ \t]*:[ \t]*(\d+)", head)
        length = int(m.group(1)) if m else 0
        total = end + 4 + length
        if len(buf) < total:
            return out, buf
        out.append(Message(buf[:total]))
        buf = buf[total:]


class Connection:
    """One UDP socket or one TCP connection to the server, with deadlines."""

    def __init__(self, transport, host, port, local_port=0, bind_host=None, connect_timeout=2.0,
                 origin=None, subprotocol="sip", path="/ws"):
        check_loopback(host)
        self.transport = transport.lower()
        self.host = host
        self.port = port
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        kind = socket.SOCK_DGRAM if self.transport == "udp" else socket.SOCK_STREAM
        self.sock = socket.socket(family, kind)
        if local_port or bind_host or self.transport == "udp":
            # UDP: bind now so that the Via can name the real local port.
            self.sock.bind((bind_host or host, local_port))
        if self.transport != "udp":
            self.sock.settimeout(connect_timeout)
            self.sock.connect((host, port))
        if self.transport in ("tls", "wss"):
            # Test peer: the daemon's certificate is self-signed, not verified.
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            self.sock = ctx.wrap_socket(self.sock, server_hostname=host)
            self.tls_version = self.sock.version()
        self.buf = b""
        self.closed_by_peer = False
        self.invalid_host = token(12) + ".invalid"
        self.close_code = None   # WebSocket: the code of the server's close frame
        self.pongs = []          # WebSocket: payloads of pongs received
        self.handshake = None    # WebSocket: the server's answer to the upgrade
        self.local_host, self.local_port = self.sock.getsockname()[:2]
        if self.is_websocket():
            self.handshake = self.upgrade(origin, subprotocol, path)
        self.sock.setblocking(False)

    def is_websocket(self):
        return self.transport in ("ws", "wss")

    def upgrade(self, origin, subprotocol, path):
        """RFC 6455 opening handshake; returns the response head (text). The
        connection is usable for SIP only when it is a 101."""
        key = base64.b64encode(os.urandom(16)).decode()
        host = "[%s]" % self.host if ":" in self.host else self.host
        lines = ["GET %s HTTP/1.1" % path, "Host: %s:%d" % (host, self.port),
                 "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: " + key,
                 "Sec-WebSocket-Version: 13"]
        if subprotocol:
            lines.append("Sec-WebSocket-Protocol: " + subprotocol)
        if origin:
            lines.append("Origin: " + origin)
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            data = self.sock.recv(4096)
            if not data:
                self.closed_by_peer = True
                break
            head += data
        head, _, self.ws_rest = head.partition(b"\r\n\r\n")
        text = head.decode("latin-1")
        accept = base64.b64encode(hashlib.sha1(
            (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        if text.startswith("HTTP/1.1 101") and ("sec-websocket-accept: " + accept.lower()) \
                not in text.lower():
            raise AssertionError("101 without the right Sec-WebSocket-Accept: %r" % text)
        return text

    @staticmethod
    def ws_frame(opcode, payload, fin=True, mask=True, length=None):
        """A client frame (masked unless told otherwise); length overrides
        the declared payload length (for oversized-frame tests)."""
        n = len(payload) if length is None else length
        head = bytes([(0x80 if fin else 0) | opcode])
        bit = 0x80 if mask else 0
        if n < 126:
            head += bytes([bit | n])
        elif n < 65536:
            head += bytes([bit | 126]) + n.to_bytes(2, "big")
        else:
            head += bytes([bit | 127]) + n.to_bytes(8, "big")
        if not mask:
            return head + payload
        key = os.urandom(4)
        return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))

    def send_raw(self, data):
        self.sock.setblocking(True)
        self.sock.settimeout(2.0)
        self.sock.sendall(data)
        self.sock.setblocking(False)

    def send(self, data):
        if self.transport == "udp":
            self.sock.sendto(data, (self.host, self.port))
        elif self.is_websocket():
            self.send_raw(self.ws_frame(1, data))
        else:
            self.send_raw(data)

    def ws_split(self, buf):
        """Complete server frames off buf: SIP messages out, control frames
        noted. Returns (messages, rest)."""
        out = []
        while len(buf) >= 2:
            opcode, n, pos = buf[0] & 0x0F, buf[1] & 0x7F, 2
            if n == 126:
                if len(buf) < 4:
                    break
                n, pos = int.from_bytes(buf[2:4], "big"), 4
            elif n == 127:
                if len(buf) < 10:
                    break
                n, pos = int.from_bytes(buf[2:10], "big"), 10
            if buf[1] & 0x80:
                raise AssertionError("the server sent a masked frame")
            if len(buf) < pos + n:
                break
            payload, buf = buf[pos:pos + n], buf[pos + n:]
            if opcode in (1, 2):
                out.append(Message(payload))
            elif opcode == 10:
                self.pongs.append(payload)
            elif opcode == 8:
                self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
        return out, buf

    def receive(self, timeout):
        """Messages that arrive within timeout seconds (may be empty). For TCP
        sets closed_by_peer when the server closes the connection."""
        deadline = time.monotonic() + timeout
        msgs = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return msgs
            pending = self.transport in ("tls", "wss") and self.sock.pending() > 0
            if self.is_websocket() and self.ws_rest:
                got, self.buf = self.ws_split(self.ws_rest)
                self.ws_rest = b""
                msgs.extend(got)
            ready = pending or select.select([self.sock], [], [], left)[0]
            if not ready:
                return msgs
            if self.transport == "udp":
                try:
                    data, _ = self.sock.recvfrom(65536)
                except (BlockingIOError, ConnectionRefusedError):
                    continue
                msgs.append(Message(data))
            else:
                try:
                    data = self.sock.recv(65536)
                except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    continue
                except ConnectionResetError:
                    data = b""
                split = self.ws_split if self.is_websocket() else split_stream
                if not data:
                    self.closed_by_peer = True
                    got, self.buf = split(self.buf)
                    return msgs + got
                got, self.buf = split(self.buf + data)
                msgs.extend(got)

    def wait_final(self, timeout, match=None):
        """All messages until a final (>= 200) response that satisfies match
        arrives or timeout passes. Returns (final or None, all messages)."""
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            for m in self.receive(min(0.1, max(0.0, deadline - time.monotonic()))):
                seen.append(m)
                if m.status is not None and m.status >= 200 and (match is None or match(m)):
                    return m, seen
            if self.closed_by_peer:
                break
        return None, seen

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def via_host(conn):
    if conn.is_websocket():
        return conn.invalid_host  # RFC 7118: a browser has no address to give
    h = conn.local_host
    return "[%s]" % h if ":" in h else h


def build_request(conn, method, ruri, from_uri, to_uri=None, call_id=None, cseq=1,
                  branch=None, from_tag=None, to_tag=None, headers=(), body=b"",
                  contact=None, expires=None, user_agent="rtcbridge-tests/siplib"):
    """A well-formed request whose Via names the connection's local address."""
    transport = conn.transport.upper()
    branch = branch or "z9hG4bK-" + token(12)
    from_tag = from_tag or token(8)
    call_id = call_id or token(16) + "@siplib"
    to_uri = to_uri or from_uri
    lines = [
        "%s %s SIP/2.0" % (method, ruri),
        "Via: SIP/2.0/%s %s:%d;branch=%s;rport" % (transport, via_host(conn), conn.local_port, branch),
        "Max-Forwards: 70",
        "From: <%s>;tag=%s" % (from_uri, from_tag),
        "To: <%s>%s" % (to_uri, ";tag=" + to_tag if to_tag else ""),
        "Call-ID: %s" % call_id,
        "CSeq: %d %s" % (cseq, method),
        "User-Agent: %s" % user_agent,
    ]
    if contact is not None:
        lines.append("Contact: %s" % contact)
    if expires is not None:
        lines.append("Expires: %d" % expires)
    lines.extend(headers)
    if isinstance(body, str):
        body = body.encode()
    lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def parse_challenge(value):
    """Parameters of a 'Digest k=v, k="v"' challenge, names lower-cased."""
    scheme, _, rest = value.strip().partition(" ")
    params = {"scheme": scheme}
    for m in re.finditer(r'([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]+)', rest):
        v = m.group(2)
        if v.startswith('"'):
            v = v[1:-1]
        params[m.group(1).lower()] = v
    return params


def digest_authorization(challenge, method, uri, user, password, nc=1, cnonce=None):
    """The Authorization/Proxy-Authorization value answering a challenge
    (MD5 or SHA-256, qop=auth when offered)."""
    c = parse_challenge(challenge)
    alg = c.get("algorithm", "MD5")
    h = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}[alg.upper()]

    def H(s):
        return h(s.encode()).hexdigest()

    ha1 = H("%s:%s:%s" % (user, c["realm"], password))
    ha2 = H("%s:%s" % (method, uri))
    parts = ['Digest username="%s"' % user, 'realm="%s"' % c["realm"], 'nonce="%s"' % c["nonce"],
             'uri="%s"' % uri]
    if "qop" in c and "auth" in [q.strip() for q in c["qop"].split(",")]:
        cnonce = cnonce or token(16)
        ncs = "%08x" % nc
        resp = H("%s:%s:%s:%s:auth:%s" % (ha1, c["nonce"], ncs, cnonce, ha2))
        parts += ['response="%s"' % resp, "qop=auth", "nc=%s" % ncs, 'cnonce="%s"' % cnonce]
    else:
        parts.append('response="%s"' % H("%s:%s:%s" % (ha1, c["nonce"], ha2)))
    parts.append("algorithm=%s" % alg)
    if "opaque" in c:
        parts.append('opaque="%s"' % c["opaque"])
    return ", ".join(parts)


def ping(host, port, transport="udp", timeout=1.0):
    """Send OPTIONS sip:host:port; return the final response or None."""
    hostpart = "[%s]" % host if ":" in host else host
    try:
        conn = Connection(transport, host, port)
    except OSError:
        return None
    try:
        uri = "sip:%s:%d" % (hostpart, port)
        req = build_request(conn, "OPTIONS", uri, "sip:ping@%s" % hostpart, to_uri=uri,
                            headers=["Accept: application/sdp"])
        call_id = Message(req).call_id
        conn.send(req)
        final, _ = conn.wait_final(timeout, match=lambda m: m.call_id == call_id)
        return final
    except OSError:
        return None
    finally:
        conn.close()


# ---- the daemon under test (lib.sh's rtcb_config writes this config too) ----

SIP_PORT = 25060
TLS_PORT = 25061
HTTPS_PORT = 25543  # HTTPS + WSS
HTTP_PORT = 25580   # plain HTTP + WS


def write_config(path, state_dir, domains=(), nonce_lifetime=300, tcp_idle_timeout=30,
                 log_level="debug", extra="", web_root=None, allowed_origins=(), min_expires=1,
                 invite_timeout=30, tls_port=TLS_PORT, https_port=HTTPS_PORT, http_port=HTTP_PORT,
                 written_for="a test"):
    """The test daemon's configuration file: SIP on SIP_PORT (UDP, TCP) and
    tls_port of 127.0.0.1 and ::1, HTTP(S) on https_port and http_port;
    domains a list or a text ("a, b"); extra is appended verbatim (more
    sections)."""
    if not isinstance(domains, str):
        domains = ", ".join(domains)
    with open(path, "w") as f:
        f.write("""; written by tests/integration/siplib.py for %s
[general]
log_level = %s
syslog = no
state_dir = %s

[sip]
listen = 127.0.0.1, ::1
udp_port = %d
tcp_port = %d
tls_port = %d
domains = %s
max_message_size = 65535
tcp_idle_timeout = %d

[registrar]
min_expires = %d
max_expires = 3600
default_expires = 3600
max_contacts = 10

[auth]
nonce_lifetime = %d

[http]
https_port = %d
http_port = %d
%s%s
[proxy]
invite_timeout = %d
%s""" % (written_for, log_level, state_dir, SIP_PORT, SIP_PORT, tls_port, domains, tcp_idle_timeout,
         min_expires, nonce_lifetime, https_port, http_port,
         "web_root = %s\n" % web_root if web_root else "",
         "allowed_origins = %s\n" % ", ".join(allowed_origins) if allowed_origins else "",
         invite_timeout, extra))


class Daemon:
    """Start build/rtcbridge on a temporary state directory, wait until it
    answers OPTIONS (10 s at most), stop it with SIGTERM (it must exit with
    status 0 within 5 s). The log is printed when the test failed.
    web_files ({name: bytes}) makes a web root inside the temporary
    directory; config goes to write_config()."""

    def __init__(self, build, name, web_files=None, **config):
        self.build = os.path.abspath(build)
        self.binary = os.path.join(self.build, "rtcbridge")
        self.ctl_binary = os.path.join(self.build, "rtcbridge-ctl")
        for b in (self.binary, self.ctl_binary):
            if not os.access(b, os.X_OK):
                raise SystemExit("%s is missing: run 'make' first" % b)
        self.tmp = tempfile.mkdtemp(prefix="rtcbridge-%s." % name)
        self.state = os.path.join(self.tmp, "state")
        os.makedirs(self.state)
        self.conf = os.path.join(self.tmp, "rtcbridge.conf")
        self.log_path = os.path.join(self.tmp, "rtcbridge.log")
        if web_files is not None:
            config["web_root"] = os.path.join(self.tmp, "web")
            os.makedirs(config["web_root"])
            for file, data in web_files.items():
                with open(os.path.join(config["web_root"], file), "wb") as f:
                    f.write(data)
        config.setdefault("written_for", name)
        write_config(self.conf, self.state, **config)
        self.proc = None

    def start(self):
        if ping("127.0.0.1", SIP_PORT, timeout=0.3) is not None:
            raise AssertionError("something already answers on 127.0.0.1:%d (another rtcbridge "
                                 "test still running?)" % SIP_PORT)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([self.binary, "-c", self.conf, "--state-dir", self.state],
                                     stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("rtcbridge exited during start-up with status %d"
                                     % self.proc.returncode)
            r = ping("127.0.0.1", SIP_PORT)
            if r is not None and r.status == 200:
                return
            time.sleep(0.2)
        raise AssertionError("rtcbridge did not answer OPTIONS within 10 s")

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def ctl(self, *args):
        return subprocess.run([self.ctl_binary, "--state-dir", self.state] + list(args),
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20)

    def stop(self):
        """SIGTERM; returns an error text or None."""
        if self.proc is None:
            return None
        proc, self.proc = self.proc, None
        if proc.poll() is not None:
            return "rtcbridge had exited before it was stopped (status %d)" % proc.returncode
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return "rtcbridge still running 5 s after SIGTERM"
        if rc != 0:
            return "rtcbridge exited with status %d after SIGTERM" % rc
        return None

    def dump_log(self, lines=300):
        try:
            with open(self.log_path, "rb") as f:
                data = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return
        print("----- rtcbridge log (last %d lines of %s) -----" % (lines, self.log_path))
        for line in data[-lines:]:
            print("  " + line)

    def cleanup(self, failed):
        if failed:
            self.dump_log()
        if failed and not os.environ.get("CI") or os.environ.get("KEEP_TMP") == "1":
            print("kept %s" % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


class Checks:
    """Counts checks; each prints one line. A test ends with summary()."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = []

    def check(self, what, ok, detail=""):
        if ok:
            self.passed += 1
            if os.environ.get("VERBOSE"):
                print("[%s] ok   %s%s" % (self.name, what, (": " + detail) if detail else ""))
        else:
            self.failed.append(what)
            print("[%s] FAIL %s%s" % (self.name, what, (": " + detail) if detail else ""))
        return ok

    def summary(self):
        total = self.passed + len(self.failed)
        if self.failed:
            print("[%s] %d of %d checks failed" % (self.name, len(self.failed), total))
        else:
            print("[%s] all %d checks passed" % (self.name, total))
        return not self.failed


def build_dir():
    """The build directory a test runs against: its first argument, else
    $RTCBRIDGE_BUILD, else build/ at the top of the repository."""
    if len(sys.argv) > 1:
        return sys.argv[1]
    top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    return os.environ.get("RTCBRIDGE_BUILD", os.path.join(os.path.abspath(top), "build"))


def run_test(checks, daemon, body, cleanup=()):
    """The frame of a test against one daemon: start it, run body(); then it
    must still run and stop on SIGTERM within 5 s with status 0. An exception
    out of body (a step the test cannot go on from) is a failed check.
    Whatever happened, each function in cleanup is called (sockets, files the
    test made), the daemon is stopped and its temporary directory removed
    (kept after a failure outside CI, or with KEEP_TMP=1). Returns the exit
    status: 0 when every check passed."""
    failed = True
    try:
        daemon.start()
        body()
        checks.check("daemon still running", daemon.running())
        err = daemon.stop()
        checks.check("rtcbridge stops on SIGTERM within 5 s with status 0", err is None, err or "")
    except (AssertionError, OSError, ValueError) as e:
        checks.check("test ran to the end", False, "%s: %s" % (type(e).__name__, e))
    finally:
        failed = not checks.summary()
        for f in cleanup:
            f()
        if daemon.running():
            daemon.stop()
        daemon.cleanup(failed)
    return 1 if failed else 0


def shared_dir(top):
    env = os.environ.get("RTCBRIDGE_SHARED")
    if env:
        return env
    try:
        repo = subprocess.run(["git", "-C", top, "rev-parse", "--show-toplevel"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        repo = ""
    return os.path.join(repo or top, "..", "shared")


def main(argv):
    import argparse
    p = argparse.ArgumentParser(description="tiny SIP client for rtcbridge tests")
    sub = p.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("ping", help="OPTIONS until 200 or the deadline")
    q.add_argument("--host", default="127.0.0.1")
    q.add_argument("--port", type=int, default=25060)
    q.add_argument("--transport", default="udp", choices=["udp", "tcp", "tls"])
    q.add_argument("--wait", type=float, default=0.0,
                   help="keep trying for this many seconds (0: one try)")
    c = sub.add_parser("config", help="write the test daemon's configuration file")
    c.add_argument("path")
    c.add_argument("--state-dir", required=True)
    c.add_argument("--written-for", default="a test")
    c.add_argument("--log-level", default="debug")
    c.add_argument("--domains", default="")
    c.add_argument("--nonce-lifetime", type=int, default=300)
    c.add_argument("--tcp-idle-timeout", type=int, default=30)
    c.add_argument("--min-expires", type=int, default=1)
    c.add_argument("--invite-timeout", type=int, default=30)
    c.add_argument("--tls-port", type=int, default=TLS_PORT)
    c.add_argument("--https-port", type=int, default=HTTPS_PORT)
    c.add_argument("--http-port", type=int, default=HTTP_PORT)
    c.add_argument("--extra", default="", help="appended verbatim (more sections)")
    args = p.parse_args(argv)
    if args.cmd == "config":
        write_config(args.path, args.state_dir, domains=args.domains, nonce_lifetime=args.nonce_lifetime,
                     tcp_idle_timeout=args.tcp_idle_timeout, log_level=args.log_level, extra=args.extra,
                     min_expires=args.min_expires, invite_timeout=args.invite_timeout, tls_port=args.tls_port,
                     https_port=args.https_port, http_port=args.http_port, written_for=args.written_for)
        return 0
    if args.cmd == "ping":
        deadline = time.monotonic() + args.wait
        while True:
            r = ping(args.host, args.port, args.transport)
            if r is not None and r.status == 200:
                print("ping: %s" % r.start)
                return 0
            if time.monotonic() >= deadline:
                print("ping: no 200 from %s:%d/%s (last: %s)" %
                      (args.host, args.port, args.transport, r.start if r else "no answer"),
                      file=sys.stderr)
                return 1
            time.sleep(0.2)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
