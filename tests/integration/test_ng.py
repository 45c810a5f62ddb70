#!/usr/bin/env python3
"""test_ng.py BUILD_DIR - rtcbridge as rtpengine for plain RTP, driven over
the ng control protocol the way Kamailio's rtpengine module drives it.

  - ping -> pong;
  - offer from phone A (a UDP socket) -> SDP naming 127.0.0.1 and a port in
    the configured range; answer from phone B -> another port;
  - 50 RTP packets A -> B (to the port in the rewritten answer) and 50
    B -> A (to the port in the rewritten offer) arrive unchanged;
  - query counts them; a retransmitted offer (same cookie) gets the
    identical reply; a re-offer (new cookie) keeps the port;
  - delete, then query -> "Unknown call-id"; unknown command -> error;
    garbage -> error or silence, daemon alive.
All on 127.0.0.1, every wait bounded.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import siplib  # noqa: E402
from medialib import media_of, media_socket, send_and_receive  # noqa: E402
from nglib import HOST, PORT_MAX, PORT_MIN, Ng, config_extra, phone_sdp  # noqa: E402


def main():
    checks = siplib.Checks("test_ng")
    ng = Ng()
    phone_a, phone_b = media_socket(), media_socket()
    daemon = siplib.Daemon(siplib.build_dir(), "ng", extra=config_extra())

    def steps():
        call_id = "ng-test-%d@%s" % (os.getpid(), HOST)

        _, _, r = ng.request({"command": "ping"})
        checks.check("ping -> pong", r == {"result": "pong"}, repr(r))

        offer = {"command": "offer", "call-id": call_id, "from-tag": "tag-a",
                 "sdp": phone_sdp(phone_a.getsockname()[1], 1001),
                 "received-from": ["IP4", HOST], "replace": ["origin"],
                 "flags": ["trust-address"]}
        offer_cookie, offer_raw, r = ng.request(offer)
        ok = checks.check("offer -> ok with sdp", r is not None and r.get("result") == "ok" and "sdp" in r,
                          repr(r))
        if not ok:
            raise AssertionError("no usable offer reply")
        addrs, port_to_b = media_of(r["sdp"])
        checks.check("offer SDP: every c= is 127.0.0.1", addrs and all(a == HOST for a in addrs), repr(addrs))
        checks.check("offer SDP: o= address replaced", re.search(r"^o=- 1001 1 IN IP4 127\.0\.0\.1", r["sdp"], re.M)
                     is not None, r["sdp"])
        checks.check("offer SDP: port in %d-%d" % (PORT_MIN, PORT_MAX),
                     port_to_b is not None and PORT_MIN <= port_to_b <= PORT_MAX, str(port_to_b))
        checks.check("offer SDP: codecs kept", "a=rtpmap:101 telephone-event/8000" in r["sdp"]
                     and "m=audio %d RTP/AVP 0 8 101" % port_to_b in r["sdp"], r["sdp"])

        _, again_raw, _ = ng.request(offer, cookie=offer_cookie)
        checks.check("retransmitted offer (same cookie) -> identical reply", again_raw == offer_raw,
                     repr(again_raw))

        answer = {"command": "answer", "call-id": call_id, "from-tag": "tag-a", "to-tag": "tag-b",
                  "sdp": phone_sdp(phone_b.getsockname()[1], 2002)}
        _, _, r = ng.request(answer)
        ok = checks.check("answer -> ok with sdp", r is not None and r.get("result") == "ok" and "sdp" in r,
                          repr(r))
        if not ok:
            raise AssertionError("no usable answer reply")
        addrs, port_to_a = media_of(r["sdp"])
        checks.check("answer SDP: every c= is 127.0.0.1", addrs and all(a == HOST for a in addrs), repr(addrs))
        checks.check("answer SDP: another port in the range",
                     port_to_a is not None and PORT_MIN <= port_to_a <= PORT_MAX and port_to_a != port_to_b,
                     "%s vs %s" % (port_to_a, port_to_b))

        # A sends to the port in the answer it got; B to the one in the offer.
        sent, got = send_and_receive(phone_a, port_to_a, phone_b, 0x1111AAAA)
        checks.check("A -> B: 50 RTP packets arrive unchanged", got == sent,
                     "%d of %d, %d equal" % (len(got), len(sent), sum(1 for x, y in zip(sent, got) if x == y)))
        sent, got = send_and_receive(phone_b, port_to_b, phone_a, 0x2222BBBB)
        checks.check("B -> A: 50 RTP packets arrive unchanged", got == sent,
                     "%d of %d, %d equal" % (len(got), len(sent), sum(1 for x, y in zip(sent, got) if x == y)))

        _, _, r = ng.request({"command": "query", "call-id": call_id})
        ok = r is not None and r.get("result") == "ok"
        checks.check("query -> ok", ok, repr(r))
        if ok:
            totals = r.get("totals", {}).get("RTP", {})
            checks.check("query: 100 packets in total", totals.get("packets") == 100, repr(totals))
            streams = r.get("streams", [])
            by_leg = {s.get("leg"): s for s in streams}
            checks.check("query: two endpoints, A and B", len(streams) == 2 and set(by_leg) == {"A", "B"},
                         repr(streams))
            a, b = by_leg.get("A", {}), by_leg.get("B", {})
            checks.check("query: A's endpoint got 50 and sent 50",
                         a.get("packets") == 50 and a.get("packets sent") == 50 and a.get("local port") == port_to_a,
                         repr(a))
            checks.check("query: B's endpoint got 50 and sent 50",
                         b.get("packets") == 50 and b.get("packets sent") == 50 and b.get("local port") == port_to_b,
                         repr(b))
            checks.check("query: no loss, a MOS", a.get("lost") == 0 and b.get("lost") == 0
                         and a.get("MOS", 0) > 0, repr(streams))

        # A re-INVITE from A (new cookie): the port towards B stays.
        reoffer = dict(offer, sdp=phone_sdp(phone_a.getsockname()[1], 1001))
        _, _, r = ng.request(reoffer)
        checks.check("re-offer keeps the port towards B",
                     r is not None and r.get("result") == "ok" and media_of(r.get("sdp", ""))[1] == port_to_b,
                     repr(r))

        _, _, r = ng.request({"command": "delete", "call-id": call_id, "from-tag": "tag-a"})
        checks.check("delete -> ok", r is not None and r.get("result") == "ok", repr(r))
        _, _, r = ng.request({"command": "query", "call-id": call_id})
        checks.check("query after delete -> error Unknown call-id",
                     r is not None and r.get("result") == "error" and r.get("error-reason") == "Unknown call-id",
                     repr(r))
        _, _, r = ng.request({"command": "delete", "call-id": call_id})
        checks.check("delete again -> error", r is not None and r.get("result") == "error", repr(r))
        _, _, r = ng.request({"command": "answer", "call-id": "nobody", "to-tag": "x",
                              "sdp": phone_sdp(4000, 1)})
        checks.check("answer for an unknown call -> error", r is not None and r.get("result") == "error", repr(r))
        _, _, r = ng.request({"command": "frobnicate"})
        checks.check("unknown command -> error with a reason",
                     r is not None and r.get("result") == "error" and r.get("error-reason"), repr(r))
        _, _, r = ng.request({"command": "offer", "call-id": "c2", "from-tag": "t", "sdp": "not sdp"})
        checks.check("offer with broken SDP -> error", r is not None and r.get("result") == "error", repr(r))

        raw = ng.raw(b"77_garbage d7:commandi5ee", wait=1.0)
        checks.check("malformed body with a cookie -> error reply",
                     raw is not None and raw.startswith(b"77_garbage d6:result5:error"), repr(raw))
        raw = ng.raw(b"\x00\xffgarbage-without-a-space", wait=0.5)
        checks.check("garbage without a cookie -> silence", raw is None, repr(raw))
        _, _, r = ng.request({"command": "ping"})
        checks.check("daemon alive after garbage (ping -> pong)", r == {"result": "pong"}, repr(r))

    return siplib.run_test(checks, daemon, steps, cleanup=(ng.close, phone_a.close, phone_b.close))


if __name__ == "__main__":
    sys.exit(main())
