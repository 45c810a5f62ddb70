#!/usr/bin/env python3
"""Media benchmark: rtcbridge's relay against rtpengine (userspace), both
driven over the ng protocol with the same SDPs by bench/rtpload (C), on
127.0.0.1. Scenarios:

  plain  plain RTP on both legs (RTP/AVP <-> RTP/AVP);
  sdes   SDES-SRTP on leg A (RTP/SAVP, a=crypto AES_CM_128_HMAC_SHA1_80,
         offered with "transport-protocol": "RTP/AVP") and plain RTP on leg
         B: every packet is decrypted or encrypted by the relay.

For each scenario the two relays climb the same ladder of call counts,
interleaved rung by rung (rtcbridge N, rtpengine N, rtcbridge 2N, ...) so a
noisy moment on the machine hits both. Each rung starts the relay afresh,
pinned to --relay-cpu, waits for ng ping -> pong, runs rtpload pinned to
--gen-cpu (N calls, 20 ms packets both ways for --duration seconds, then
delete) and stops the relay. The relay's CPU (utime+stime of all its
threads, /proc/PID/stat) is sampled at the generator's MEDIA_START and
MEDIA_END and divided by the send time; the datagrams its sockets dropped
are read from /proc/net/udp (its sockets by inode) before the calls are
deleted.

A rung passes when loss < 0.1% and p99 added latency < 5 ms (the latency
is the kernel receive time minus the time the packet was handed to the
kernel: see bench/rtpload.c). The generator, not the relay, was the limit
of a rung when it used > 90% of its core, a send failed, its own sockets
dropped datagrams, or it skipped more than 5% of its 1 ms send slots (it
skips a slot it starts more than 2 ms late rather than send a burst) while
the relay was not saturated (< 90% of its core) and the machine was quiet.
The machine was noisy when the host stole > 5% of the relay's or the
generator's CPU (/proc/stat steal) or other programs used > 15% of a core.
A failed rung is not retried when the generator was the limit, tried up to
three times on a noisy machine, twice otherwise (the relay's failure). A
confirmed failure ends that relay's ladder, after (for the relay's own
failure) one rung halfway between the last pass and the failure; when the
failure was the generator's or the machine's, the result is printed as a
lower bound (>=). Result per relay and scenario: the highest passing N, its
relay CPU, CPU per call and calls per core (per call actually offered:
skipped slots are not counted), and the ratio rtcbridge/rtpengine of calls
per core.
Standard library only; every wait is bounded.
"""
import argparse
import hashlib
import json
import os
import shutil
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
GEN_CPU_MAX = 0.90
GEN_SKIPPED_MAX = 0.05  # slots the generator started > 2 ms late, so skipped
NOISE_STEAL = 0.05      # host steal on the relay's or the generator's CPU
NOISE_OTHER = 0.15      # CPU of other programs, in cores
RELAY_CPU_FULL = 0.90
SCENARIOS = {
    "plain": "scenario 1: plain RTP <-> plain RTP",
    "sdes": "scenario 2: SDES-SRTP (leg A, AES_CM_128_HMAC_SHA1_80) <-> plain RTP (leg B)",
}


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


def cpu_stat():
    """{name: (busy, steal, total)} jiffies for 'cpu' and each 'cpuN'."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            if not line.startswith("cpu"):
                break
            name, *v = line.split()
            v = [int(x) for x in v]
            # user nice system idle iowait irq softirq steal ...; guest is in user
            out[name] = (v[0] + v[1] + v[2] + v[5] + v[6], v[7], sum(v[:8]))
    return out


def udp_errors():
    """Machine-wide UDP RcvbufErrors (/proc/net/snmp)."""
    with open("/proc/net/snmp") as f:
        lines = [l.split() for l in f if l.startswith("Udp:")]
    head, vals = lines[0], lines[1]
    return int(vals[head.index("RcvbufErrors")])


def socket_drops(pid):
    """Datagrams dropped at the process's UDP sockets (/proc/net/udp 'drops')."""
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
    except OSError:
        return -1
    drops = 0
    for path in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(path) as f:
                next(f)
                for line in f:
                    v = line.split()
                    if len(v) > 12 and v[9] in inodes:
                        drops += int(v[-1])
        except OSError:
            pass
    return drops


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
        self.starts = 0

    def start(self, label):
        self.starts += 1
        self.logf = open(os.path.join(self.dir, f"{label}.log"), "w")
        if self.starts == 1:
            log(f"  {' '.join(self.cmd)}")
        self.proc = subprocess.Popen(self.cmd, stdout=self.logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        if not ng_ping(self.ng_port) or self.proc.poll() is not None:
            self.stop()
            raise RuntimeError(f"{self.name} did not answer ng ping; see {self.logf.name}")

    def pid(self):
        return self.proc.pid  # taskset execs the relay: same pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

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
        self.proc = None


class Rtcbridge(Relay):
    name = "rtcbridge"
    ng_port = 38222

    def __init__(self, args, workdir):
        super().__init__(args, workdir)
        b = args.rtcbridge
        if not os.access(b, os.X_OK):
            raise RuntimeError(f"{b} not built (run make)")
        # main()'s private copy: a rebuild during the run must not change
        # the relay between rungs
        b = args.rtcbridge_copy
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


def sample(relay):
    return time.monotonic(), proc_cpu(relay.pid()), cpu_stat(), udp_errors()


def run_rung(args, relay, scenario, n, attempt):
    tag = f"{scenario[:2]}{relay.name[:3]}{n}x{attempt}t{int(time.time()) % 100000}"
    cmd = ["taskset", "-c", str(args.gen_cpu), args.rtpload, "--ng", f"{HOST}:{relay.ng_port}",
           "--calls", str(n), "--duration", str(args.duration), "--socks", str(args.socks), "--tag", tag]
    if scenario == "sdes":
        cmd.append("--srtp")
    limit = args.duration + 60 + n * 0.05  # setup and delete are bounded inside too
    if scenario == "sdes":
        limit += n * args.duration * 0.004  # libsrtp2 before and after the media phase
    gen = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.PIPE,
                           text=True)
    start = end = result = None
    relay_drops = gen_drops = -1
    t_kill = time.monotonic() + limit
    try:
        for line in gen.stdout:  # a few lines; bounded by the kill below
            line = line.strip()
            if line == "MEDIA_START":
                start = sample(relay)
            elif line == "MEDIA_END":
                end = sample(relay)
                relay_drops = socket_drops(relay.pid())  # before the calls are deleted
                gen_drops = socket_drops(gen.pid)  # taskset execs rtpload: same pid
                try:
                    gen.stdin.write("go\n")
                    gen.stdin.flush()
                except OSError:
                    pass
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
        result["calls"] = n
        return result
    send_s = result["duration_s"]
    result["relay_cpu"] = (end[1] - start[1]) / send_s
    # the share of the nominal load sent (the generator skips late slots);
    # CPU per call and calls per core are per call actually offered
    result["offered"] = result["sent"] / max(1, result["expected"])
    result["cpu_per_call"] = result["relay_cpu"] / (n * max(1e-9, result["offered"]))
    result["calls_per_core"] = 1 / result["cpu_per_call"] if result["cpu_per_call"] > 0 else float("inf")
    result["relay_drops"] = relay_drops
    result["gen_rx_dropped"] = gen_drops
    result["udp_rcvbuf_errors"] = end[3] - start[3]
    wall = max(1e-6, end[0] - start[0])
    stat0, stat1 = start[2], end[2]

    def cpu_frac(name, i):
        d = [b - a for a, b in zip(stat0[name], stat1[name])]
        return d[i] / max(1, d[2])

    ncpu = len([k for k in stat1 if k != "cpu"])
    busy_all = cpu_frac("cpu", 0) * ncpu  # cores busy over MEDIA_START..MEDIA_END
    relay_busy = (end[1] - start[1]) / wall
    result["other_cpu"] = max(0.0, busy_all - relay_busy - result["gen_cpu_s"] / wall)
    result["steal_relay_cpu"] = cpu_frac(f"cpu{args.relay_cpu}", 1)
    result["steal_gen_cpu"] = cpu_frac(f"cpu{args.gen_cpu}", 1)
    result["relay_saturated"] = result["relay_cpu"] >= RELAY_CPU_FULL
    result["noisy"] = (max(result["steal_relay_cpu"], result["steal_gen_cpu"]) > NOISE_STEAL
                       or result["other_cpu"] > NOISE_OTHER)
    limits = []  # the generator's own limits
    if result["gen_cpu_frac"] > GEN_CPU_MAX:
        limits.append(f"generator CPU {result['gen_cpu_frac'] * 100:.0f}%")
    if result["send_fail"] > 0:
        limits.append(f"{result['send_fail']} sends failed")
    if result["gen_rx_dropped"] > 0:
        limits.append(f"{result['gen_rx_dropped']} datagrams dropped at the generator's sockets")
    # A relay that used its whole core sends back in bursts, which make the
    # generator's next slots late: then the lateness is the relay's doing.
    # Otherwise it is the generator's, or the machine's when the host stole
    # CPU time or other programs ran.
    skipped = result["skipped_slots"] / max(1, result["slots"])
    late = None
    if skipped > GEN_SKIPPED_MAX and not result["relay_saturated"]:
        late = (f"generator late: {skipped * 100:.1f}% of its slots skipped (lag p99 {result['lag_p99_ms']:.1f} ms; "
                f"steal {result['steal_gen_cpu'] * 100:.0f}% on its CPU, other programs "
                f"{result['other_cpu'] * 100:.0f}% of a core)")
        if not result["noisy"]:
            limits.append(late)
    result["gen_limits"] = limits
    result["gen_limited"] = bool(limits)
    result["machine_limit"] = late if late and result["noisy"] and not limits else None
    result["pass"] = (result["sent"] > 0 and result["loss"] < LOSS_MAX and 0 <= result["p99_ms"] < P99_MAX_MS)
    # who a failure belongs to
    if result["pass"]:
        result["verdict"] = "pass"
    elif result["gen_limited"]:
        result["verdict"] = "generator"
    elif result["noisy"] and not result["relay_saturated"]:
        result["verdict"] = "machine"
    else:
        result["verdict"] = "relay"
    return result


def fmt(r):
    if "error" in r:
        return f"N={r['calls']:5d}  ERROR {r['error']}"
    s = (f"N={r['calls']:5d}  loss {r['loss'] * 100:6.3f}%  added p50 {r['p50_ms']:5.2f} p99 {r['p99_ms']:6.2f} "
         f"max {r['max_ms']:6.1f} ms  relay CPU {r['relay_cpu'] * 100:5.1f}% ({r['calls_per_core']:5.0f} calls/core)  "
         f"gen CPU {r['gen_cpu_frac'] * 100:3.0f}% lag p99 {r['lag_p99_ms']:4.1f} max {r['lag_max_ms']:5.1f} ms  "
         f"{'PASS' if r['pass'] else 'FAIL'}")
    extra = []
    if r["relay_drops"] > 0:
        extra.append(f"relay's sockets dropped {r['relay_drops']}")
    if r["gen_rx_dropped"] > 0:
        extra.append(f"generator's sockets dropped {r['gen_rx_dropped']}")
    bad = r["misrouted"] + r["bad"] + r["srtp_fail"] + r["duplicates"]
    if bad:
        extra.append(f"bad/misrouted/srtp-fail/dup {r['bad']}/{r['misrouted']}/{r['srtp_fail']}/{r['duplicates']}")
    if r["skipped_pkts"]:
        extra.append(f"offered {r['offered'] * 100:.1f}%: generator skipped {r['skipped_slots']} late slots")
    if r["stalled_pkts"]:
        extra.append(f"{r['stalled_pkts']} packets in stalled sendmmsg")
    if r["relay_saturated"]:
        extra.append("relay CPU saturated")
    if r["gen_limited"]:
        extra.append("GENERATOR LIMITED: " + ", ".join(r["gen_limits"]))
    if r["noisy"]:
        extra.append(f"NOISY MACHINE: steal {r['steal_relay_cpu'] * 100:.0f}%/{r['steal_gen_cpu'] * 100:.0f}% "
                     f"(relay/gen CPU), other programs {r['other_cpu'] * 100:.0f}% of a core"
                     + (f"; {r['machine_limit']}" if r["machine_limit"] else ""))
    return s + "".join(f"  [{e}]" for e in extra)


class Ladder:
    """One relay's climb in one scenario."""

    def __init__(self, relay):
        self.relay = relay
        self.best = None        # the highest passing rung
        self.fail = None        # the first confirmed failure
        self.bound = None       # why the result is only a lower bound: None (it is not), "top",
        self.rungs = []         # "generator" or "machine"
        self.stop_reason = ""


BOUND_TEXT = {
    "top": "TOP OF THE LADDER PASSED: a lower bound",
    "generator": "LOAD GENERATOR LIMITED: a lower bound",
    "machine": "MACHINE TOO NOISY (steal, other programs): a lower bound",
}


def run_one(args, relay, scenario, n):
    """Runs rung n: once more after a failure that may be the relay's, up to
    twice more after one on a noisy machine, never again after one that was
    the generator's."""
    r = None
    for attempt in (1, 2, 3):
        label = f"{scenario}-{n}-{attempt}"
        try:
            relay.start(label)
        except RuntimeError as e:
            return {"calls": n, "error": str(e)}
        try:
            r = run_rung(args, relay, scenario, n, attempt)
            if not relay.alive():
                r.setdefault("error", "relay died")
        finally:
            relay.stop()
        log(f"  {relay.name:9s} try {attempt} " + fmt(r))
        if "error" in r or r["verdict"] in ("pass", "generator"):
            break
        if attempt == 2 and r["verdict"] != "machine":
            break
        time.sleep(1)
    return r


def climb(args, scenario, relays):
    ladders = [Ladder(r) for r in relays]
    for n in args.calls:
        for lad in ladders:
            if lad.fail is not None:
                continue
            r = run_one(args, lad.relay, scenario, n)
            lad.rungs.append(r)
            if r.get("pass"):
                lad.best = r
            else:
                lad.fail = r
        if all(l.fail is not None for l in ladders):
            break
    # one rung halfway between the last pass and a failure that was the relay's
    for lad in ladders:
        if lad.fail is None:
            lad.stop_reason = "top of the ladder passed"
            lad.bound = "top"
            continue
        lo = lad.best["calls"] if lad.best else 0
        hi = lad.fail["calls"]
        mid = (lo + hi) // 2 // 50 * 50
        mid_text = ""
        if lad.fail.get("verdict") == "relay" and lo < mid < hi:
            r = run_one(args, lad.relay, scenario, mid)
            lad.rungs.append(r)
            if r.get("pass"):
                lad.best = r
            mid_text = f"; halfway, N={mid}: " + ("ERROR" if "error" in r else
                                                    "pass" if r["pass"] else f"FAIL ({r['verdict']})")
        f = lad.fail
        lad.bound = f.get("verdict") if f.get("verdict") in ("generator", "machine") else None
        why = f.get("error") or (f"loss {f['loss'] * 100:.3f}%, p99 {f['p99_ms']:.2f} ms, relay CPU "
                                 f"{f['relay_cpu'] * 100:.0f}%")
        if f.get("gen_limits"):
            why += "; GENERATOR LIMITED: " + ", ".join(f["gen_limits"])
        elif f.get("verdict") == "machine":
            why += (f"; NOISY MACHINE: steal {f['steal_relay_cpu'] * 100:.0f}%/{f['steal_gen_cpu'] * 100:.0f}% "
                    f"(relay/gen CPU), other programs {f['other_cpu'] * 100:.0f}% of a core")
        elif f.get("verdict") == "relay":
            why += "; the relay's limit" + (" (its CPU saturated)" if f["relay_saturated"] else "")
        lad.stop_reason = f"first failure at N={f['calls']}: {why}{mid_text}"
    return ladders


def summary(scenario, ladders):
    log("")
    log(f"== summary, {SCENARIOS[scenario]}, G.711 20 ms, 2 legs per call, 100 packets/s into the relay per call")
    cpc = {}
    for lad in ladders:
        name = lad.relay.name
        log(f"  {name} rungs: " + ", ".join(
            f"{r['calls']}:" + ("ERR" if "error" in r else
                                "pass" if r["pass"] else f"FAIL({r['verdict']})") for r in lad.rungs))
        b = lad.best
        bound = f"  {BOUND_TEXT[lad.bound]}" if lad.bound else ""
        if not b:
            log(f"  {name:10s} no passing rung{bound}")
            log(f"  {'':10s} {lad.stop_reason}")
            continue
        ge = ">=" if lad.bound else ""
        cpc[name] = b["calls_per_core"]
        log(f"  {name:10s} most calls passing {ge}{b['calls']}: relay CPU {b['relay_cpu'] * 100:.1f}% of a core, "
            f"{b['cpu_per_call'] * 100:.4f}% per call, calls per core {cpc[name]:.0f}, "
            f"added latency p99 {b['p99_ms']:.2f} ms, loss {b['loss'] * 100:.3f}%{bound}")
        log(f"  {'':10s} {lad.stop_reason}")
    names = [l.relay.name for l in ladders]
    if "rtcbridge" in cpc and "rtpengine" in cpc:
        log(f"  ratio rtcbridge/rtpengine, calls per core at each one's best N: "
            f"{cpc['rtcbridge'] / cpc['rtpengine']:.2f}")
        lb = {l.relay.name: l for l in ladders}
        rb, re_ = lb["rtcbridge"].best, lb["rtpengine"].best
        log(f"  ratio rtcbridge/rtpengine, most calls passing: {rb['calls'] / re_['calls']:.2f}")
        # CPU per call where both passed the same N: the least noisy comparison
        both = {}
        for name in ("rtcbridge", "rtpengine"):
            for r in lb[name].rungs:
                if r.get("pass"):
                    both.setdefault(r["calls"], {})[name] = r
        common = [k for k, v in both.items() if len(v) == 2]
        if common:
            k = max(common)
            a, b = both[k]["rtcbridge"], both[k]["rtpengine"]
            log(f"  ratio rtcbridge/rtpengine, calls per core at N={k} (highest N both passed): "
                f"{b['cpu_per_call'] / a['cpu_per_call']:.2f}  (relay CPU {a['relay_cpu'] * 100:.1f}% vs "
                f"{b['relay_cpu'] * 100:.1f}%)")
    elif len(names) == 2:
        log("  ratio: not available (a relay has no passing rung)")
    # CPU alone, at every N both ran, passed or not: the latency rule aside,
    # how much each relay's core did per call under the same load
    lb = {l.relay.name: l for l in ladders}
    if "rtcbridge" in lb and "rtpengine" in lb:
        ran = {}
        for name in ("rtcbridge", "rtpengine"):
            for r in lb[name].rungs:
                if "error" not in r:
                    ran.setdefault(r["calls"], {})[name] = r
        rows = [(k, v) for k, v in sorted(ran.items()) if len(v) == 2]
        if rows:
            log("  calls per core at every N both ran (relay CPU alone; verdict in brackets):")
            for k, v in rows:
                a, b = v["rtcbridge"], v["rtpengine"]
                log(f"    N={k:5d}  rtcbridge {a['calls_per_core']:6.0f} ({a['relay_cpu'] * 100:4.1f}% CPU, "
                    f"{a['verdict']})  rtpengine {b['calls_per_core']:6.0f} ({b['relay_cpu'] * 100:4.1f}% CPU, "
                    f"{b['verdict']})  ratio {a['calls_per_core'] / b['calls_per_core']:.2f}")
    return cpc


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--relays", default="rtcbridge,rtpengine", help="comma list, run in this order at each rung")
    p.add_argument("--scenarios", default="plain,sdes", help="comma list of plain, sdes (default %(default)s)")
    p.add_argument("--calls", default="100,200,400,800,1200,1600,2000,2400,3200,4000",
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
    p.add_argument("--max-minutes", type=float, default=40, help="refuse a ladder longer than this (estimate)")
    p.add_argument("--out", default=None, help="directory for logs and results.json (default: a new temp dir)")
    p.add_argument("--rtcbridge", default=os.path.join(ROOT, "build", "rtcbridge"))
    p.add_argument("--rtpengine", default="/usr/bin/rtpengine")
    p.add_argument("--rtpload", default=os.path.join(ROOT, "build", "rtpload"))
    args = p.parse_args()
    args.calls = sorted({int(x) for x in args.calls.split(",") if x.strip()})
    scenarios = [x.strip() for x in args.scenarios.split(",") if x.strip()]
    if not args.calls or any(s not in SCENARIOS for s in scenarios):
        sys.exit(f"--calls needs numbers, --scenarios a list of {', '.join(SCENARIOS)}")
    if (args.port_max - args.port_min) < 4 * max(args.calls) + 100:
        sys.exit("port range too small for the largest rung (4 ports per call)")
    if max(args.calls) > 20000 or args.duration > 120:
        sys.exit("at most 20000 calls and 120 s per rung")
    relays_names = [x.strip() for x in args.relays.split(",") if x.strip()]
    # worst case: every rung three times for every relay, + midpoint; ~6 s of overhead a try
    worst = len(scenarios) * len(relays_names) * (3 * len(args.calls) + 3) * (args.duration + 6) / 60
    if worst > args.max_minutes:
        sys.exit(f"worst case {worst:.0f} minutes > --max-minutes {args.max_minutes:g}")
    workdir = args.out or tempfile.mkdtemp(prefix="rtp-bench-")
    os.makedirs(workdir, exist_ok=True)
    if "rtcbridge" in relays_names and os.access(args.rtcbridge, os.X_OK):
        args.rtcbridge_copy = os.path.join(workdir, "rtcbridge.bin")
        shutil.copy2(args.rtcbridge, args.rtcbridge_copy)
        with open(args.rtcbridge_copy, "rb") as f:
            log(f"rtcbridge: {args.rtcbridge} copied to {args.rtcbridge_copy}, sha256 "
                f"{hashlib.sha256(f.read()).hexdigest()[:16]}")
    log(f"rtp-bench: {os.cpu_count()} CPUs, relay on CPU {args.relay_cpu}, rtpload on CPU {args.gen_cpu}, "
        f"{args.duration:g} s per rung, ladder {args.calls}, scenarios {scenarios}, "
        f"{args.socks or 'one'} phone socket(s) per side, {args.workers} relay worker thread(s); "
        f"pass: loss < {LOSS_MAX * 100:g}% and p99 added latency < {P99_MAX_MS:g} ms; output in {workdir}")
    results = {}
    for scenario in scenarios:
        log(f"== {SCENARIOS[scenario]}")
        relays = []
        for name in relays_names:
            try:
                cls = {"rtcbridge": Rtcbridge, "rtpengine": Rtpengine}[name]
                relays.append(cls(args, os.path.join(workdir, scenario)))
            except (RuntimeError, KeyError, OSError) as e:
                log(f"  {name}: cannot run: {e}")
        ladders = climb(args, scenario, relays)
        results[scenario] = {"ladders": ladders}
        with open(os.path.join(workdir, "results.json"), "w") as f:
            json.dump({s: {l.relay.name: {"best": l.best, "bound": l.bound, "stop": l.stop_reason,
                                          "rungs": l.rungs} for l in v["ladders"]}
                       for s, v in results.items()}, f, indent=1)
    for scenario in scenarios:
        summary(scenario, results[scenario]["ladders"])
    log(f"results: {os.path.join(workdir, 'results.json')}")


if __name__ == "__main__":
    main()
