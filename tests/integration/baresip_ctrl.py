#!/usr/bin/env python3
"""baresip_ctrl.py - the tests' client for baresip's ctrl_tcp module (JSON
commands, responses and events in netstrings) on 127.0.0.1.

  baresip_ctrl.py PORT COMMAND [PARAMS]
      One command on a connection of its own. Prints the events and the
      response that arrive; exits 0 when the response to this command (its
      token) says ok, 1 when it does not, 2 when none came within 5 s or
      there was no connection.

  baresip_ctrl.py --follow PORT EVENTS FIFO
      One connection for a whole test (baresip 1.0 keeps one ctrl connection
      only: a second one would take the events away), made within 10 s.
      Every event and response is appended to the file EVENTS as one JSON
      line with its arrival time ("t"), beside {"client": "connected"},
      "closed" or "cannot connect" lines; each "TOKEN COMMAND [PARAMS]" line
      read from the named pipe FIFO is sent as a command. Ends when baresip
      closes the connection.
"""
import json
import os
import select
import socket
import sys
import time

HOST = "127.0.0.1"


def command(cmd, params, token):
    """The netstring that carries one command."""
    msg = json.dumps({"command": cmd, "params": params, "token": token}).encode()
    return b"%d:%s," % (len(msg), msg)


def split(buf):
    """Complete netstrings off buf: ([decoded JSON, or None where the payload
    is not JSON, with its raw text], rest)."""
    out = []
    while True:
        colon = buf.find(b":")
        if colon < 0 or not buf[:colon].isdigit():
            return out, buf
        n = int(buf[:colon])
        if len(buf) < colon + n + 2:
            return out, buf
        raw = buf[colon + 1:colon + 1 + n]
        buf = buf[colon + n + 2:]
        try:
            out.append((json.loads(raw), raw))
        except ValueError:
            out.append((None, raw))


def one_command(port, cmd, params):
    token = "rtcb%d" % os.getpid()
    try:
        s = socket.create_connection((HOST, port), timeout=5)
    except OSError as e:
        print("no connection to baresip on port %d: %s" % (port, e), file=sys.stderr)
        return 2
    s.sendall(command(cmd, params, token))
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
        msgs, buf = split(buf + data)
        for obj, raw in msgs:
            if obj is None:
                print("bad JSON from baresip: %r" % raw, file=sys.stderr)
                continue
            print(json.dumps(obj))
            if obj.get("response") and obj.get("token") == token:
                return 0 if obj.get("ok") else 1
    print("no response to %s from baresip on port %d" % (cmd, port), file=sys.stderr)
    return 2


def follow(port, events, fifo):
    out = open(events, "a", buffering=1)
    deadline = time.monotonic() + 10
    while True:
        try:
            s = socket.create_connection((HOST, port), timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline:
                out.write('{"client": "cannot connect"}\n')
                return 1
            time.sleep(0.1)
    s.settimeout(None)
    fd = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)  # RDWR: never EOF
    out.write('{"client": "connected", "t": %.3f}\n' % time.time())
    buf, lines = b"", b""
    while True:
        ready, _, _ = select.select([s, fd], [], [])
        if fd in ready:
            lines += os.read(fd, 4096)
            while b"\n" in lines:
                line, lines = lines.split(b"\n", 1)
                parts = line.decode().split(" ", 2)
                if len(parts) >= 2:
                    s.sendall(command(parts[1], parts[2] if len(parts) > 2 else "", parts[0]))
        if s in ready:
            data = s.recv(65536)
            if not data:
                out.write('{"client": "closed"}\n')
                return 0
            msgs, buf = split(buf + data)
            for obj, raw in msgs:
                if obj is None:
                    obj = {"client": "bad json", "raw": raw.decode("latin-1")}
                else:
                    obj["t"] = round(time.time(), 3)
                out.write(json.dumps(obj) + "\n")


def main(argv):
    if len(argv) == 5 and argv[1] == "--follow":
        return follow(int(argv[2]), argv[3], argv[4])
    if len(argv) in (3, 4) and argv[1].isdigit():
        return one_command(int(argv[1]), argv[2], argv[3] if len(argv) > 3 else "")
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
