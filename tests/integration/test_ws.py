#!/usr/bin/env python3
"""test_ws.py BUILD_DIR - SIP over WebSocket (RFC 7118) and the HTTP side of
the same port, against a real rtcbridge, with a small stdlib client.

  - the HTTPS port serves files from web_root (200, 404, no escape from
    the root) and answers a plain-HTTP port the same way;
  - upgrades with a wrong Origin, without the sip subprotocol or on another
    path are refused (403, 400, 404); an allowed cross origin is accepted;
  - users register over WSS and WS with digest auth, with .invalid
    Via/Contact hosts and outbound (+sip.instance, reg-id): 200 with
    Require: outbound; OPTIONS to the server is answered; a MESSAGE from one
    WebSocket user reaches the other over its connection and the 200 comes
    back; pings are answered with pongs;
  - an unmasked frame (1002) and an oversized one (1009) close only the
    connection that sent them; the others still work;
  - when a WebSocket connection closes, its bindings go at once: a MESSAGE
    to that user gets 480 within a second, not after a timeout.
"""
import os
import socket
import ssl
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import siplib  # noqa: E402
from siplib import status_of  # noqa: E402

HOST = "127.0.0.1"
INDEX = b"<!doctype html><title>phone</title><p>test page</p>\n"


def http_get(port, path, secure, method="GET"):
    """(status, headers dict, body) of one HTTP/1.1 request, connection closed."""
    sock = socket.create_connection((HOST, port), timeout=3)
    if secure:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        sock = ctx.wrap_socket(sock, server_hostname=HOST)
    sock.sendall(("%s %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n"
                  % (method, path, HOST, port)).encode())
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, ssl.SSLError):
            break
        if not chunk:
            break
        data += chunk
    sock.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


class WsUser:
    """A user agent over one WebSocket connection, as a browser phone is."""

    def __init__(self, transport, port, user, password, origin=None):
        self.conn = siplib.Connection(transport, HOST, port, origin=origin)
        self.user = user
        self.password = password
        self.instance = "<urn:uuid:%s-%s>" % (siplib.token(8), siplib.token(12))
        self.call_id = siplib.token(16) + "@test_ws"
        self.from_tag = siplib.token(8)
        self.cseq = 0

    def contact(self):
        return "<sip:%s@%s;transport=ws>;+sip.instance=\"%s\";reg-id=1" % (
            siplib.token(8), self.conn.invalid_host, self.instance)

    def transaction(self, method, ruri, to_uri, authorization=None, auth_header="Authorization",
                    body=b"", extra=()):
        self.cseq += 1
        headers = list(extra)
        if authorization:
            headers.append("%s: %s" % (auth_header, authorization))
        call_id = self.call_id if method == "REGISTER" else siplib.token(16) + "@test_ws"
        req = siplib.build_request(self.conn, method, ruri, "sip:%s@%s" % (self.user, HOST),
                                   to_uri=to_uri, call_id=call_id, cseq=self.cseq,
                                   from_tag=self.from_tag if method == "REGISTER" else None,
                                   contact=self.contact() if method == "REGISTER" else None,
                                   expires=300 if method == "REGISTER" else None,
                                   headers=headers, body=body)
        self.conn.send(req)
        final, _ = self.conn.wait_final(3.0, match=lambda m: m.call_id == call_id)
        return final

    def authenticated(self, method, ruri, to_uri, **kw):
        """Send, answer a 401/407 challenge once, return the final answer."""
        first = self.transaction(method, ruri, to_uri, **kw)
        if first is None or first.status not in (401, 407):
            return first
        name = "www-authenticate" if first.status == 401 else "proxy-authenticate"
        challenge = first.get(name)
        authz = siplib.digest_authorization(challenge, method, ruri, self.user, self.password)
        return self.transaction(method, ruri, to_uri, authorization=authz,
                                auth_header="Authorization" if first.status == 401
                                else "Proxy-Authorization", **kw)

    def register(self):
        return self.authenticated("REGISTER", "sip:%s" % HOST, "sip:%s@%s" % (self.user, HOST),
                                  extra=["Supported: path, outbound"])


def answer_message(user, timeout=3.0):
    """Wait for a MESSAGE on user's connection, answer 200; returns it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for m in user.conn.receive(0.1):
            if m.start.startswith("MESSAGE "):
                lines = ["SIP/2.0 200 OK"]
                for name in ("via", "from", "to", "call-id", "cseq"):
                    for v in m.get_all(name):
                        if name == "to" and "tag=" not in v:
                            v += ";tag=" + siplib.token(6)
                        lines.append("%s: %s" % (name.title(), v))
                lines.append("Content-Length: 0")
                user.conn.send(("\r\n".join(lines) + "\r\n\r\n").encode())
                return m
    return None


def main():
    checks = siplib.Checks("test_ws")
    daemon = siplib.Daemon(siplib.build_dir(), "ws", web_files={"index.html": INDEX},
                           allowed_origins=("https://phone.example.org",))
    users = []

    def steps():
        pw = {u: siplib.token(12) for u in ("alice", "bob", "carol")}
        for u, p in pw.items():
            r = daemon.ctl("user", "add", u, p)
            if not checks.check("rtcbridge-ctl user add " + u, r.returncode == 0, r.stderr.strip()):
                raise AssertionError("cannot add users")
        https, http = siplib.HTTPS_PORT, siplib.HTTP_PORT

        # ---- HTTP -------------------------------------------------------------
        st, hdr, body = http_get(https, "/", True)
        checks.check("HTTPS GET / serves index.html", st == 200 and body == INDEX,
                     "%d %r" % (st, body[:60]))
        checks.check("index.html is text/html", hdr.get("content-type", "").startswith("text/html"),
                     hdr.get("content-type", ""))
        st, _, body = http_get(http, "/index.html", False)
        checks.check("plain HTTP GET /index.html", st == 200 and body == INDEX, str(st))
        st, _, _ = http_get(https, "/missing.js", True)
        checks.check("missing file: 404", st == 404, str(st))
        for path in ("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd"):
            st, _, body = http_get(https, path, True)
            checks.check("%s does not leave the web root (%d)" % (path, st),
                         st in (400, 403, 404) and b"root:" not in body, str(st))
        st, _, body = http_get(https, "/", True, method="HEAD")
        checks.check("HEAD /: 200 without a body", st == 200 and body == b"", "%d %r" % (st, body))

        # ---- refused upgrades ----------------------------------------------------
        bad = siplib.Connection("wss", HOST, https, origin="https://evil.example.com")
        checks.check("wrong Origin: 403", bad.handshake.startswith("HTTP/1.1 403"),
                     bad.handshake.split("\r\n")[0])
        bad.close()
        ok = siplib.Connection("wss", HOST, https, origin="https://phone.example.org")
        checks.check("configured cross Origin: 101", ok.handshake.startswith("HTTP/1.1 101"),
                     ok.handshake.split("\r\n")[0])
        ok.close()
        same = siplib.Connection("wss", HOST, https, origin="https://%s:%d" % (HOST, https))
        checks.check("same Origin: 101", same.handshake.startswith("HTTP/1.1 101"),
                     same.handshake.split("\r\n")[0])
        checks.check("101 names the sip subprotocol",
                     "sec-websocket-protocol: sip" in same.handshake.lower(), same.handshake)
        same.close()
        nosip = siplib.Connection("wss", HOST, https, subprotocol=None)
        checks.check("no sip subprotocol: 400", nosip.handshake.startswith("HTTP/1.1 400"),
                     nosip.handshake.split("\r\n")[0])
        nosip.close()
        other = siplib.Connection("wss", HOST, https, path="/other")
        checks.check("upgrade on another path: 404", other.handshake.startswith("HTTP/1.1 404"),
                     other.handshake.split("\r\n")[0])
        other.close()

        # ---- register, OPTIONS, MESSAGE ----------------------------------------
        alice = WsUser("wss", https, "alice", pw["alice"], origin="https://%s:%d" % (HOST, https))
        bob = WsUser("ws", http, "bob", pw["bob"])
        users.extend([alice, bob])
        wrong = WsUser("wss", https, "carol", "not-the-password")
        users.append(wrong)
        r = wrong.register()
        checks.check("REGISTER over WSS with a wrong password: 403", r is not None and r.status == 403,
                     status_of(r))
        for u in (alice, bob):
            r = u.register()
            checks.check("%s registers over %s (digest): 200" % (u.user, u.conn.transport.upper()),
                         r is not None and r.status == 200, status_of(r))
            checks.check("%s: 200 has Require: outbound" % u.user,
                         r is not None and "outbound" in (r.get("require") or ""),
                         str(r.get("require") if r else None))
            checks.check("%s: 200 lists the .invalid contact" % u.user,
                         r is not None and ".invalid" in " ".join(r.get_all("contact")),
                         " ".join(r.get_all("contact")) if r else "")
        regs = daemon.ctl("registrations").stdout
        transports = {f[0]: f[2] for f in (line.split() for line in regs.splitlines()[1:])
                      if len(f) >= 5}
        checks.check("rtcbridge-ctl registrations: alice over WSS, bob over WS",
                     transports.get("alice") == "WSS" and transports.get("bob") == "WS", regs)

        r = alice.transaction("OPTIONS", "sip:%s:%d;transport=ws" % (HOST, https),
                              "sip:%s:%d" % (HOST, https))
        checks.check("OPTIONS to the server over WSS: 200", r is not None and r.status == 200,
                     status_of(r))

        alice.conn.send_raw(siplib.Connection.ws_frame(9, b"are you there"))
        alice.conn.receive(0.5)
        checks.check("ping answered with a pong carrying its payload",
                     b"are you there" in alice.conn.pongs, repr(alice.conn.pongs))

        text = "hello bob, over WebSocket"
        alice.cseq += 1
        call_id = siplib.token(16) + "@test_ws"

        def send_message(authz=None):
            headers = ["Content-Type: text/plain"]
            if authz:
                headers.append("Proxy-Authorization: " + authz)
            req = siplib.build_request(alice.conn, "MESSAGE", "sip:bob@%s" % HOST,
                                       "sip:alice@%s" % HOST, to_uri="sip:bob@%s" % HOST,
                                       call_id=call_id, cseq=alice.cseq, headers=headers,
                                       body=text.encode(), from_tag=alice.from_tag)
            alice.conn.send(req)

        send_message()
        first, _ = alice.conn.wait_final(3.0, match=lambda m: m.call_id == call_id)
        checks.check("MESSAGE from a local user without credentials: 407",
                     first is not None and first.status == 407, status_of(first))
        if first is not None and first.status == 407:
            authz = siplib.digest_authorization(first.get("proxy-authenticate"), "MESSAGE",
                                                "sip:bob@%s" % HOST, "alice", pw["alice"])
            alice.cseq += 1
            send_message(authz)
            got = answer_message(bob)
            checks.check("bob receives the MESSAGE over his WS connection",
                         got is not None and got.body.decode(errors="replace") == text,
                         repr(got.body if got else None))
            final, _ = alice.conn.wait_final(3.0, match=lambda m: m.call_id == call_id)
            checks.check("alice gets bob's 200 over WSS", final is not None and final.status == 200,
                         status_of(final))

        # ---- bad frames close only their own connection --------------------------
        rogue = siplib.Connection("wss", HOST, https)
        rogue.send_raw(siplib.Connection.ws_frame(1, b"OPTIONS sip:x SIP/2.0\r\n\r\n", mask=False))
        rogue.receive(1.0)
        checks.check("unmasked frame: closed with 1002", rogue.close_code == 1002,
                     "close code %r" % rogue.close_code)
        rogue.close()
        big = siplib.Connection("ws", HOST, http)
        big.send_raw(siplib.Connection.ws_frame(1, b"x" * 16, length=10 * 1024 * 1024)[:32])
        big.receive(1.0)
        checks.check("frame declaring 10 MiB: closed with 1009", big.close_code == 1009,
                     "close code %r" % big.close_code)
        big.close()
        garbage = siplib.Connection("wss", HOST, https)
        garbage.send_raw(siplib.Connection.ws_frame(1, b"\xff\xfe not a SIP message"))
        garbage.receive(0.5)
        garbage.close()
        r = alice.transaction("OPTIONS", "sip:%s:%d;transport=ws" % (HOST, https),
                              "sip:%s:%d" % (HOST, https))
        checks.check("after the bad frames alice's connection still works",
                     r is not None and r.status == 200, status_of(r))

        # ---- Path (RFC 3327): an edge proxy registers carol -------------------------
        edge = siplib.Connection("udp", HOST, siplib.SIP_PORT)
        carol = WsUser("udp", siplib.SIP_PORT, "carol", pw["carol"])
        carol.conn.close()
        carol.conn = edge
        users.append(carol)
        carol.contact = lambda: "<sip:carol@%s:%d>" % (HOST, edge.local_port)
        paths = ["<sip:%s:%d;lr>" % (HOST, edge.local_port),
                 "<sip:edge2@%s:%d;lr>" % (HOST, edge.local_port)]
        r = carol.authenticated("REGISTER", "sip:%s" % HOST, "sip:carol@%s" % HOST,
                                extra=["Path: " + paths[0], "Path: " + paths[1], "Supported: path"])
        checks.check("REGISTER with two Path headers: 200 echoing both",
                     r is not None and r.status == 200 and r.get_all("path") == paths,
                     "%s %r" % (status_of(r), r.get_all("path") if r else None))
        first = alice.transaction("MESSAGE", "sip:carol@%s" % HOST, "sip:carol@%s" % HOST,
                                  body=b"via the edge", extra=["Content-Type: text/plain"])
        if first is not None and first.status == 407:
            authz = siplib.digest_authorization(first.get("proxy-authenticate"), "MESSAGE",
                                                "sip:carol@%s" % HOST, "alice", pw["alice"])
            alice.cseq += 1
            call_id = siplib.token(16) + "@test_ws"
            alice.conn.send(siplib.build_request(
                alice.conn, "MESSAGE", "sip:carol@%s" % HOST, "sip:alice@%s" % HOST,
                to_uri="sip:carol@%s" % HOST, call_id=call_id, cseq=alice.cseq,
                headers=["Content-Type: text/plain", "Proxy-Authorization: " + authz],
                body=b"via the edge"))
            got = answer_message(carol)
            routes = [v.strip() for h in (got.get_all("route") if got else []) for v in h.split(",")]
            checks.check("the MESSAGE reaches the edge with both Path entries as its route",
                         routes == paths, "routes %r" % routes)
            final, _ = alice.conn.wait_final(3.0, match=lambda m: m.call_id == call_id)
            checks.check("alice gets the 200 from behind the edge",
                         final is not None and final.status == 200, status_of(final))
        else:
            checks.check("MESSAGE to carol challenged with 407", False, status_of(first))

        # ---- a closed connection takes its bindings with it ----------------------
        bob.conn.close()
        users.remove(bob)
        time.sleep(0.3)
        regs = daemon.ctl("registrations").stdout
        users_listed = [line.split()[0] for line in regs.splitlines()[1:] if len(line.split()) >= 5]
        checks.check("bob's binding is gone once his connection closed",
                     "bob" not in users_listed and "alice" in users_listed, regs)
        t0 = time.monotonic()
        r = alice.authenticated("MESSAGE", "sip:bob@%s" % HOST, "sip:bob@%s" % HOST,
                                body=b"are you still there?", extra=["Content-Type: text/plain"])
        took = time.monotonic() - t0
        checks.check("MESSAGE to bob now: 480 at once (%.2f s)" % took,
                     r is not None and r.status == 480 and took < 1.5, status_of(r))

    def close():
        for u in users:
            u.conn.close()

    return siplib.run_test(checks, daemon, steps, cleanup=[close])


if __name__ == "__main__":
    sys.exit(main())
