#!/usr/bin/env python3
"""baresip_ctrl.py PORT COMMAND [PARAMS] - one command to baresip's ctrl_tcp
module (JSON in netstrings) on 127.0.0.1:PORT. Prints the events and the
response that arrive; exits 0 when the response says ok, 1 when not, 2 when
no response came within 5 s."""
import json
import socket
import sys
import time


def main(argv):
    port, cmd = int(argv[1]), argv[2]
    params = argv[3] if len(argv) > 3 else ""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    msg = json.dumps({"command": cmd, "params": params, "token": "rtcb"}).encode()
    s.sendall(b"%d:%s," % (len(msg), msg))
    buf = b""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        s.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            data = s.recv(4096)
        except socket.timeout:
            break
        if not data:
            break
        buf += data
        while True:
            colon = buf.find(b":")
            if colon < 0 or not buf[:colon].isdigit():
                break
            n = int(buf[:colon])
            if len(buf) < colon + n + 2:
                break
            obj = json.loads(buf[colon + 1:colon + 1 + n])
            buf = buf[colon + n + 2:]
            print(json.dumps(obj))
            if obj.get("response"):
                return 0 if obj.get("ok") else 1
    print("no response from baresip on port %d" % port, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
