#!/usr/bin/env python3
"""Media benchmark: rtcbridge's relay against rtpengine (userspace), both
driven over the ng protocol with the same SDPs by bench/rtpload (C), one
after the other, on 127.0.0.1. Scenario 1: plain RTP on both legs.

For each relay: start it pinned to --relay-cpu, wait for ng ping -> pong,
then climb the ladder of call counts. A rung runs rtpload pinned to
--gen-cpu: N calls (offer from phone A, answer from phone B), 20 ms PCMU
packets both ways for --duration seconds, then delete. The relay's CPU
(utime+stime of the process, all threads, /proc/PID/stat) is sampled at the
generator's MEDIA_START and MEDIA_END. A rung passes when loss < 0.1% and
p99 added latency < 5 ms. It is generator-limited when the generator used
> 90% of its core or fell behind its send schedule (> 2 ms late).
A failed rung is run once more; a second failure ends the ladder.
Result: highest passing N, relay CPU there, calls per core = N / CPU.
Standard library only; every wait is bounded.
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
HOST = "127.0.0.1"
HZ = os.sysconf("SC_CLK_TCK")
LOSS_MAX = 0.001
P99_MAX_MS = 5.0


def log(msg):
    print(msg, flush=True)


def proc_cpu(pid):
    """utime+stime (s) of the process (all threads) and its live children."""
    total = 0
    pids = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            pids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / HZ


def machine_busy():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v) - v[3] - v[4], sum(v)  # busy jiffies, all jiffies


def ng_ping(port, wait=10.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.3)
    deadline = time.monotonic() + wait
    try:
        while time.monotonic() < deadline:
            try:
                s.sendto(b"ping1 d7:command4:pinge", (HOST, port))
                if b"pong" in s.recvfrom(4096)[0]:
                    return True
            except (socket.timeout, ConnectionRefusedError):
                time.sleep(0.1)
        return False
    finally:
        s.close()


class Relay:
    name = "?"
    ng_port = 0

    def __init__(self, args, workdir):
        self.args, self.dir, self.proc = args, os.path.join(workdir, self.name), None
        os.makedirs(self.dir, exist_ok=True)

    def start(self):
        self.logf = open(os.path.join(self.dir, self.name + ".log"), "w")
        log(f"  {' '.join(self.cmd)}")
        self.proc = subprocess.Popen(self.cmd, stdout=self.logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        if not ng_ping(self.ng_port) or self.proc.poll() is not None:
            self.stop()
            raise RuntimeError(f"{self.name} did not answer ng ping; see {self.logf.name}")

    def pid(self):
        return self.proc.pid  # taskset execs the relay: same pid

    def threads(self):
        try:
            return len(os.listdir(f"/proc/{self.proc.pid}/task"))
        except OSError:
            return 0

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if getattr(self, "logf", None):
            self.logf.close()


class Rtcbridge(Relay):
    name = "rtcbridge"
    ng_port = 38222

    def __init__(self, args, workdir):
        super().__init__(args, workdir)
        b = args.rtcbridge
        if not os.access(b, os.X_OK):
            raise RuntimeError(f"{b} not built (run make)")
        state = os.path.join(self.dir, "state")
        os.makedirs(state, exist_ok=True)
        conf = os.path.join(self.dir, "rtcbridge.conf")
        with open(conf, "w") as f:
            f.write("[general]\nlog_level = warn\n[sip]\nlisten = 127.0.0.1\n"
                    "udp_port = 38060\ntcp_port = 0\ntls_port = 0\n[http]\nhttps_port = 0\nhttp_port = 0\n"
                    f"[media]\nng_listen = {HOST}:{self.ng_port}\nport_min = {args.port_min}\n"
                    f"port_max = {args.port_max}\nbind_address = {HOST}\nworkers = {args.workers}\n")
        self.cmd = ["taskset", "-c", str(args.relay_cpu), b, "-c", conf, "--state-dir", state]


class Rtpengine(Relay):
    name = "rtpengine"
    ng_port = 38223

    def __init__(self, args, workdir):
        super().__init__(args, workdir)
        self.cmd = ["taskset", "-c", str(args.relay_cpu), args.rtpengine, "--config-file=none",
                    f"--interface={HOST}", f"--listen-ng={HOST}:{self.ng_port}",
                    f"--port-min={args.port_min}", f"--port-max={args.port_max}",
                    "--foreground", "--log-stderr", "--log-level=4", "--table=-1",
                    f"--num-threads={args.workers}", "--delete-delay=0",
                    f"--pidfile={os.path.join(self.dir, 'rtpengine.pid')}"]


def run_rung(args, relay, n, attempt):
    tag = f"{relay.name[:3]}{n}x{attempt}t{int(time.time()) % 100000}"
    cmd = ["taskset", "-c", str(args.gen_cpu), args.rtpload, "--ng", f"{HOST}:{relay.ng_port}",
           "--calls", str(n), "--duration", str(args.duration), "--socks", str(args.socks), "--tag", tag]
    limit = args.duration + 60 + n * 0.05  # setup/delete are bounded inside too
    gen = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           stdin=subprocess.DEVNULL)
    start = end = None
    result = None
    t_kill = time.monotonic() + limit
    try:
        for line in gen.stdout:  # the generator prints 3 lines; bounded by the kill below
            line = line.strip()
            if line == "MEDIA_START":
                start = (time.monotonic(), proc_cpu(relay.pid()), machine_busy())
            elif line == "MEDIA_END":
                end = (time.monotonic(), proc_cpu(relay.pid()), machine_busy())
            elif line.startswith("RESULT "):
                result = json.loads(line[7:])
            if time.monotonic() > t_kill:
                break
        gen.wait(max(1, t_kill - time.monotonic()))
    except subprocess.TimeoutExpired:
        gen.kill()
        gen.wait(5)
    err = gen.stderr.read().strip()
    if result is None:
        return {"calls": n, "error": f"no result from rtpload (rc={gen.returncode}) {err[:300]}"}
    if "error" in result:
        return result
    wall = end[0] - start[0]
    result["relay_cpu"] = (end[1] - start[1]) / wall
    busy = (end[2][0] - start[2][0]) / max(1, end[2][1] - start[2][1]) * os.cpu_count()
    result["other_cpu"] = max(0.0, busy - result["relay_cpu"] - result["gen_cpu_frac"])
    result["gen_limited"] = result["gen_cpu_frac"] > 0.9 or result["late_slots"] > 0.01 * args.duration * 1000 or result["send_fail"] > 0
    result["pass"] = result["loss"] < LOSS_MAX and 0 <= result["p99_ms"] < P99_MAX_MS and result["sent"] > 0
    return result


def fmt(r):
    if "error" in r:
        return f"N={r['calls']:5d}  ERROR {r['error']}"
    s = (f"N={r['calls']:5d}  loss {r['loss'] * 100:7.3f}%  p50 {r['p50_ms']:6.3f} ms  p99 {r['p99_ms']:6.3f} ms"
         f"  max {r['max_ms']:7.2f} ms  relay CPU {r['relay_cpu'] * 100:5.1f}%  gen CPU {r['gen_cpu_frac'] * 100:5.1f}%"
         f"  gen late slots {r['late_slots']} (max {r['max_lag_ms']:.1f} ms)  setup {r['setup_s']:.1f} s  {'PASS' if r['pass'] else 'FAIL'}")
    if r["gen_limited"]:
        s += "  [GENERATOR LIMITED]"
    if r["other_cpu"] > 0.1:
        s += f"  [other programs used {r['other_cpu'] * 100:.0f}% of a core]"
    return s


def ladder(args, relay):
    best, limited, rungs = None, False, []
    for n in args.calls:
        r = None
        for attempt in (1, 2):
            r = run_rung(args, relay, n, attempt)
            rungs.append(r)
            log(f"  {relay.name:9s} try {attempt} " + fmt(r))
            if r.get("pass"):
                break
            if r.get("gen_limited"):
                break  # a retry would not change who is the limit
            if relay.proc.poll() is not None:
                break
            time.sleep(1)
        if r.get("pass"):
            best = r
            if r.get("gen_limited"):
                limited = True
            continue
        if r.get("gen_limited"):
            limited = True
        break
    else:
        limited = True  # the top rung passed: the result is a lower bound
    return best, limited, rungs


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--relays", default="rtcbridge,rtpengine", help="comma list, run in this order")
    p.add_argument("--calls", default="100,200,400,800,1200,1600,2400,3200,4000",
                   help="ladder of concurrent calls (default %(default)s)")
    p.add_argument("--duration", type=float, default=10, help="seconds of media per rung (default 10)")
    p.add_argument("--socks", type=int, default=8,
                   help="phone sockets per side shared round-robin by the calls (0: one per leg endpoint)")
    p.add_argument("--workers", type=int, default=1,
                   help="relay threads: rtcbridge [media] workers, rtpengine --num-threads (default 1)")
    p.add_argument("--relay-cpu", type=int, default=0)
    p.add_argument("--gen-cpu", type=int, default=1)
    p.add_argument("--port-min", type=int, default=30000)
    p.add_argument("--port-max", type=int, default=59999)
    p.add_argument("--out", default=None, help="directory for logs and results.json (default: a new temp dir)")
    p.add_argument("--rtcbridge", default=os.path.join(ROOT, "build", "rtcbridge"))
    p.add_argument("--rtpengine", default="/usr/bin/rtpengine")
    p.add_argument("--rtpload", default=os.path.join(ROOT, "build", "rtpload"))
    args = p.parse_args()
    args.calls = [int(x) for x in args.calls.split(",") if x.strip()]
    if (args.port_max - args.port_min) < 4 * max(args.calls) + 100:
        sys.exit("port range too small for the largest rung (4 ports per call)")
    if max(args.calls) > 20000 or args.duration > 120:
        sys.exit("at most 20000 calls and 120 s per rung")
    workdir = args.out or tempfile.mkdtemp(prefix="rtp-bench-")
    os.makedirs(workdir, exist_ok=True)
    log(f"rtp-bench: {os.cpu_count()} CPUs, relay on CPU {args.relay_cpu}, rtpload on CPU {args.gen_cpu}, "
        f"{args.duration:g} s per rung, ladder {args.calls}, {args.socks or 'one'} phone socket(s) per side, "
        f"{args.workers} relay worker thread(s); pass: loss < {LOSS_MAX * 100:g}% and p99 < {P99_MAX_MS:g} ms; "
        f"output in {workdir}")
    summary = {}
    for name in [x.strip() for x in args.relays.split(",") if x.strip()]:
        log(f"== {name}")
        try:
            relay = {"rtcbridge": Rtcbridge, "rtpengine": Rtpengine}[name](args, workdir)
            relay.start()
        except (RuntimeError, KeyError, OSError) as e:
            log(f"  {name}: cannot run: {e}")
            summary[name] = {"error": str(e)}
            continue
        try:
            log(f"  {name} pid {relay.pid()}, {relay.threads()} threads")
            best, limited, rungs = ladder(args, relay)
        finally:
            relay.stop()
        summary[name] = {"best": best, "limited": limited, "rungs": rungs}
        time.sleep(2)
    with open(os.path.join(workdir, "results.json"), "w") as f:
        json.dump(summary, f, indent=1)

    log("")
    log("== summary (scenario 1: plain RTP both legs, G.711 20 ms, 2 legs per call)")
    cpc = {}
    for name, s in summary.items():
        b = s.get("best")
        if "error" in s:
            log(f"  {name:10s} not run: {s['error']}")
            continue
        if not b:
            log(f"  {name:10s} no passing rung" + ("  LOAD GENERATOR LIMITED" if s["limited"] else ""))
            continue
        ge = ">=" if s["limited"] else ""
        cpc[name] = b["calls"] / b["relay_cpu"] if b["relay_cpu"] > 0 else float("inf")
        log(f"  {name:10s} best N {ge}{b['calls']:5d}  relay CPU {b['relay_cpu'] * 100:5.1f}%  "
            f"calls per core {cpc[name]:8.0f}  p99 {b['p99_ms']:.3f} ms  loss {b['loss'] * 100:.3f}%"
            + ("  LOAD GENERATOR LIMITED (or top of the ladder)" if s["limited"] else ""))
    if "rtcbridge" in cpc and "rtpengine" in cpc:
        log(f"  ratio rtcbridge/rtpengine, calls per core: {cpc['rtcbridge'] / cpc['rtpengine']:.2f}")
        rb, re_ = summary["rtcbridge"]["best"], summary["rtpengine"]["best"]
        log(f"  ratio rtcbridge/rtpengine, best N: {rb['calls'] / re_['calls']:.2f}")
    log(f"results: {os.path.join(workdir, 'results.json')}")


if __name__ == "__main__":
    main()
