#!/usr/bin/env python3
"""test_auth.py BUILD_DIR - digest authentication details that SIPp cannot
check, and the TLS transport (Debian's SIPp is built without TLS).

  - the 401 challenge: realm of the request's domain, qop="auth", MD5 offered
    first and SHA-256 as well (RFC 8760);
  - a REGISTER answering the MD5 challenge gets 200; the very same
    Authorization sent again (same nonce, same nc) is a replay: 401 or 403;
  - answering the SHA-256 challenge works too;
  - TLS on 127.0.0.1:25061: OPTIONS 200, REGISTER 401 then 200 with the
    password, 403 Forbidden with a wrong one;
  - OPTIONS over UDP and TCP to [::1] gets 200.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import siplib  # noqa: E402
from siplib import status_of  # noqa: E402

HOST = "127.0.0.1"


class Registrar:
    """REGISTER transactions of one user over one connection."""

    def __init__(self, conn, user):
        self.conn = conn
        self.user = user
        self.call_id = siplib.token(16) + "@test_auth"
        self.from_tag = siplib.token(8)
        self.cseq = 0

    def register(self, authorization=None, expires=300, user_agent="rtcbridge-tests/siplib"):
        self.cseq += 1
        host = "[%s]" % self.conn.host if ":" in self.conn.host else self.conn.host
        aor = "sip:%s@%s" % (self.user, host)
        contact = "<sip:%s@%s:%d;transport=%s>" % (self.user, siplib.via_host(self.conn),
                                                  self.conn.local_port, self.conn.transport)
        headers = ["Authorization: %s" % authorization] if authorization else []
        req = siplib.build_request(self.conn, "REGISTER", "sip:%s" % host, aor,
                                   call_id=self.call_id, cseq=self.cseq, from_tag=self.from_tag,
                                   contact=contact, expires=expires, headers=headers,
                                   user_agent=user_agent)
        self.conn.send(req)
        final, _ = self.conn.wait_final(3.0, match=lambda m: m.call_id == self.call_id and
                                        m.get("cseq", "").split()[:1] == [str(self.cseq)])
        return final


def challenge_of(resp, algorithm):
    for value in resp.get_all("www-authenticate"):
        c = siplib.parse_challenge(value)
        if c.get("scheme", "").lower() == "digest" and c.get("algorithm", "MD5").upper() == algorithm:
            return value
    return None


def main():
    checks = siplib.Checks("test_auth")
    daemon = siplib.Daemon(siplib.build_dir(), "auth")
    conns = []

    def steps():
        pw = siplib.token(12)
        r = daemon.ctl("user", "add", "alice", pw)
        if not checks.check("rtcbridge-ctl user add alice", r.returncode == 0, r.stderr.strip()):
            raise AssertionError("cannot add a user")

        # ---- UDP: challenge, MD5, replay -----------------------------------
        conn = siplib.Connection("udp", HOST, siplib.SIP_PORT)
        conns.append(conn)
        reg = Registrar(conn, "alice")
        resp = reg.register()
        checks.check("REGISTER without credentials: 401", resp is not None and resp.status == 401,
                     status_of(resp))
        if resp is None or resp.status != 401:
            raise AssertionError("no 401 challenge, cannot go on")
        chals = [siplib.parse_challenge(v) for v in resp.get_all("www-authenticate")]
        algs = [c.get("algorithm", "MD5").upper() for c in chals]
        checks.check("challenge offers MD5 first", algs[:1] == ["MD5"], "algorithms %r" % algs)
        checks.check("challenge offers SHA-256 too", "SHA-256" in algs, "algorithms %r" % algs)
        checks.check("the last challenge is MD5 too (SIP.js and JsSIP take the last)",
                     algs[-1:] == ["MD5"], "algorithms %r" % algs)
        checks.check("challenge realm is the request's domain (%s)" % HOST,
                     all(c.get("realm") == HOST for c in chals), "%r" % [c.get("realm") for c in chals])
        checks.check("challenge has qop=\"auth\"",
                     all("auth" in [q.strip() for q in c.get("qop", "").split(",")] for c in chals),
                     "%r" % [c.get("qop") for c in chals])

        # baresip (libre before 3.x) gives up on a set holding SHA-256.
        old = reg.register(user_agent="baresip v1.0.0 (x86_64/linux)")
        old_algs = [siplib.parse_challenge(v).get("algorithm", "MD5").upper()
                    for v in old.get_all("www-authenticate")] if old is not None else None
        checks.check("a baresip User-Agent is offered MD5 alone", old_algs == ["MD5"],
                     "algorithms %r" % old_algs)

        md5 = challenge_of(resp, "MD5")
        authz = siplib.digest_authorization(md5, "REGISTER", "sip:%s" % HOST, "alice", pw, nc=1)
        ok = reg.register(authz)
        checks.check("MD5 credentials (nc=00000001): 200", ok is not None and ok.status == 200,
                     status_of(ok))
        again = reg.register(authz)
        checks.check("the same Authorization again (replayed nonce-count): 401 stale=true",
                     again is not None and again.status == 401 and
                     "stale=true" in (again.get("www-authenticate") or "").lower(), status_of(again))

        # ---- SHA-256 --------------------------------------------------------
        resp = reg.register()
        sha = challenge_of(resp, "SHA-256") if resp is not None else None
        if checks.check("fresh 401 carries a SHA-256 challenge", sha is not None, status_of(resp)):
            authz = siplib.digest_authorization(sha, "REGISTER", "sip:%s" % HOST, "alice", pw)
            ok = reg.register(authz)
            checks.check("SHA-256 credentials: 200", ok is not None and ok.status == 200, status_of(ok))

        # ---- TLS ------------------------------------------------------------
        try:
            tls = siplib.Connection("tls", HOST, siplib.TLS_PORT)
            conns.append(tls)
            checks.check("TLS handshake on port %d (%s)" % (siplib.TLS_PORT, tls.tls_version), True)
        except OSError as e:
            tls = None
            checks.check("TLS handshake on port %d" % siplib.TLS_PORT, False, str(e))
        if tls is not None:
            uri = "sip:%s:%d;transport=tls" % (HOST, siplib.TLS_PORT)
            req = siplib.build_request(tls, "OPTIONS", uri, "sip:alice@%s" % HOST, to_uri=uri)
            cid = siplib.Message(req).call_id
            tls.send(req)
            resp, _ = tls.wait_final(3.0, match=lambda m: m.call_id == cid)
            checks.check("OPTIONS over TLS: 200", resp is not None and resp.status == 200,
                         status_of(resp))
            treg = Registrar(tls, "alice")
            resp = treg.register()
            checks.check("REGISTER over TLS without credentials: 401",
                         resp is not None and resp.status == 401, status_of(resp))
            md5 = challenge_of(resp, "MD5") if resp is not None else None
            if md5:
                ok = treg.register(siplib.digest_authorization(md5, "REGISTER", "sip:%s" % HOST,
                                                               "alice", pw))
                checks.check("REGISTER over TLS with credentials: 200",
                             ok is not None and ok.status == 200, status_of(ok))
                contacts = " ".join(ok.get_all("contact")) if ok is not None else ""
                checks.check("200 over TLS lists the transport=tls contact",
                             "transport=tls" in contacts.lower(), contacts)
                resp = treg.register()
                md5 = challenge_of(resp, "MD5") if resp is not None else None
                bad = treg.register(siplib.digest_authorization(md5, "REGISTER", "sip:%s" % HOST,
                                                                "alice", pw + "x")) if md5 else None
                checks.check("wrong password over TLS: SIP/2.0 403 Forbidden",
                             bad is not None and bad.start == "SIP/2.0 403 Forbidden", status_of(bad))

        # ---- IPv6 loopback --------------------------------------------------
        for transport in ("udp", "tcp"):
            resp = siplib.ping("::1", siplib.SIP_PORT, transport, timeout=2.0)
            checks.check("OPTIONS to [::1]:%d over %s: 200" % (siplib.SIP_PORT, transport),
                         resp is not None and resp.status == 200, status_of(resp))

    def close():
        for c in conns:
            c.close()

    return siplib.run_test(checks, daemon, steps, cleanup=[close])


if __name__ == "__main__":
    sys.exit(main())
