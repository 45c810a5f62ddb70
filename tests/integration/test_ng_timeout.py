#!/usr/bin/env python3
"""test_ng_timeout.py BUILD_DIR - ng calls without media are deleted by
themselves, as with rtpengine's `timeout` option, when the controller never
sends delete (nglib.py's daemon settings, ng client and phone, with
[media] timeout = 2, so the sweep runs every second).

  - offer/answer, no media at all: the call is there at first (query ok),
    then within 6 s query says "Unknown call-id";
  - offer/answer, then RTP from phone A every 100 ms for 3 s (longer than
    the timeout plus a sweep): query still ok, and counts the packets;
    delete -> ok.
All on 127.0.0.1, every wait bounded.
"""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import siplib  # noqa: E402
from medialib import media_of, media_socket, rtp  # noqa: E402
from nglib import HOST, Ng, config_extra, phone_sdp  # noqa: E402

TIMEOUT = 2


def set_up(ng, checks, call_id, phone_a, phone_b):
    """Offer from A, answer from B; the relay port A sends to, or None."""
    _, _, r = ng.request({"command": "offer", "call-id": call_id, "from-tag": "tag-a",
                          "sdp": phone_sdp(phone_a.getsockname()[1], 1001),
                          "received-from": ["IP4", HOST]})
    if not checks.check("%s: offer -> ok" % call_id, r is not None and r.get("result") == "ok", repr(r)):
        return None
    _, _, r = ng.request({"command": "answer", "call-id": call_id, "from-tag": "tag-a",
                          "to-tag": "tag-b", "sdp": phone_sdp(phone_b.getsockname()[1], 2002)})
    if not checks.check("%s: answer -> ok" % call_id, r is not None and r.get("result") == "ok", repr(r)):
        return None
    return media_of(r["sdp"])[1]


def query(ng, call_id):
    return ng.request({"command": "query", "call-id": call_id})[2]


def main():
    checks = siplib.Checks("test_ng_timeout")
    ng = Ng()
    phone_a, phone_b = media_socket(), media_socket()
    daemon = siplib.Daemon(siplib.build_dir(), "ng-timeout", extra=config_extra(timeout=TIMEOUT))

    def steps():

        silent = "ng-silent-%d@%s" % (os.getpid(), HOST)
        if set_up(ng, checks, silent, phone_a, phone_b) is None:
            raise AssertionError("no usable call")
        r = query(ng, silent)
        checks.check("silent call: there at first (query ok)", r is not None and r.get("result") == "ok",
                     repr(r))
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline:
            time.sleep(0.25)
            r = query(ng, silent)
            if r is None or r.get("result") != "ok":
                break
        checks.check("silent call: deleted within 6 s (query -> Unknown call-id)",
                     r is not None and r.get("result") == "error"
                     and r.get("error-reason") == "Unknown call-id", repr(r))

        talking = "ng-talking-%d@%s" % (os.getpid(), HOST)
        port_to_a = set_up(ng, checks, talking, phone_a, phone_b)
        if port_to_a is None:
            raise AssertionError("no usable call")
        sent = 0
        end = time.monotonic() + 3
        while time.monotonic() < end:
            phone_a.sendto(rtp(sent, 0x3333CCCC), (HOST, port_to_a))
            sent += 1
            time.sleep(0.1)
        r = query(ng, talking)
        ok = checks.check("call with RTP every 100 ms for 3 s: still there (query ok)",
                          r is not None and r.get("result") == "ok", repr(r))
        if ok:
            packets = r.get("totals", {}).get("RTP", {}).get("packets")
            checks.check("query counts the %d packets sent" % sent, packets == sent, repr(packets))
        _, _, r = ng.request({"command": "delete", "call-id": talking, "from-tag": "tag-a"})
        checks.check("delete -> ok", r is not None and r.get("result") == "ok", repr(r))

    return siplib.run_test(checks, daemon, steps, cleanup=(ng.close, phone_a.close, phone_b.close))


if __name__ == "__main__":
    sys.exit(main())
