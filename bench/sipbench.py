#!/usr/bin/env python3
"""SIP benchmark: rtcbridge against Kamailio under the same SIPp loads.

Started by bench/sip-bench.sh (which installs what is missing). Python 3
standard library only. For each server, one after the other:

  1. start it on 127.0.0.1 (pinned to one CPU), with the same users
     (u00001..u20000, caller, uas; HA1 hashes stored);
  2. memory: RSS before, REGISTER of the 20,000 users at a fixed moderate
     rate, settle, RSS after; (after - before) / registrations;
  3. REGISTER ladder (reg.xml): offered rates climbed until a rung fails;
  4. call ladder (uac.xml -> server -> uas.xml, the UAS registered first
     with uas-register.xml);
  5. stop it.

A rung passes when every SIPp call succeeded (successful == offered count,
0 failed, also on the UAS side), fewer than 1% of the messages SIPp sent
were retransmissions (UAC + UAS), and SIPp offered the rate it was asked
for (the last call was created within 10% of the intended time). A failed
rung is run once more before it counts; after the first confirmed failure
one rate halfway between the last pass and the failure is tried, then the
ladder stops. The result of a load is the highest passing rate.

For every rung the CPU used by the server (all its processes) and by SIPp
(getrusage of the SIPp processes) is measured, so a rung can say who was
the bottleneck: the server (its CPU near a full core), the load generator
(SIPp's CPU near a full core, SIPp's watchdog, or the rate not offered
while the server was not busy), or neither (latency/loss). CPU left for
other programs on the machine is measured too: other jobs on this host
distort a run, and the output says when they did.
"""

import argparse
import csv
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
HZ = os.sysconf("SC_CLK_TCK")
HOST = "127.0.0.1"

SCN_REG = os.path.join(BENCH, "reg.xml")
SCN_UAS_REG = os.path.join(BENCH, "uas-register.xml")
SCN_UAC = os.path.join(BENCH, "uac.xml")
SCN_UAS = os.path.join(BENCH, "uas.xml")

# SIPp local ports (the servers listen on 35060 / 36060)
PORT_REG = 37062
PORT_UAC = 37061
PORT_UAS = 37070

NUSERS = 20000
REALM = HOST  # both servers challenge with the request's domain: 127.0.0.1

DEFAULT_REG_RATES = [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000,
                     11000, 12000, 14000, 16000, 18000, 20000]
DEFAULT_CALL_RATES = [200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800, 2000, 2250,
                      2500, 2750, 3000, 3500, 4000, 5000]

RETRANS_LIMIT = 0.01      # fewer than 1% of messages retransmitted
OFFER_SLACK = 0.90        # SIPp must offer >= 90% of the target rate
BUSY = 0.90               # a CPU at >= 90% of one core counts as saturated
OTHER_LOAD_WARN = 0.15    # other programs using > 15% of a core: warn


def log(*a):
    print(*a, flush=True)


# ---------------------------------------------------------------- /proc


def proc_ticks(pid):
    """utime + stime of a process (all threads), in clock ticks; None if gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    fields = s[s.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


def proc_children_map():
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                s = f.read()
        except OSError:
            continue
        ppid = int(s[s.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    return kids


def proc_tree(pid):
    kids = proc_children_map()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def status_kb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def udp_socket_drops(port):
    """Datagrams dropped on a full receive buffer, for the UDP sockets bound
    to port (/proc/net/udp, last column)."""
    total = 0
    try:
        with open("/proc/net/udp") as f:
            next(f)
            for line in f:
                parts = line.split()
                if int(parts[1].split(":")[1], 16) == port:
                    total += int(parts[-1])
    except (OSError, ValueError, IndexError):
        pass
    return total


def udp_rcvbuf_errors():
    """Machine-wide UDP RcvbufErrors (/proc/net/snmp)."""
    try:
        with open("/proc/net/snmp") as f:
            rows = [l.split() for l in f if l.startswith("Udp:")]
        return int(dict(zip(rows[0], rows[1]))["RcvbufErrors"])
    except (OSError, KeyError, IndexError, ValueError):
        return 0


def cpu_times():
    """{cpuN: (busy_ticks, total_ticks)} from /proc/stat."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            if not line.startswith("cpu"):
                break
            name, *v = line.split()
            v = [int(x) for x in v]
            idle = v[3] + (v[4] if len(v) > 4 else 0)
            out[name] = (sum(v[:8]) - idle, sum(v[:8]))
    return out


# ---------------------------------------------------------------- users


def make_users(workdir):
    """u00001..u20000 plus caller and uas, random passwords (hex: SIPp's
    [authentication] keyword cannot hold ']' ';' or blanks)."""
    users = [(f"u{i:05d}", secrets.token_hex(8)) for i in range(1, NUSERS + 1)]
    special = {"caller": secrets.token_hex(8), "uas": secrets.token_hex(8)}
    allu = users + list(special.items())

    def auth(u, p):
        return f"[authentication username={u} password={p}]"

    with open(os.path.join(workdir, "users.csv"), "w") as f:   # SIPp -inf
        f.write("SEQUENTIAL\n")
        for u, p in users:
            f.write(f"{u};{auth(u, p)}\n")
    with open(os.path.join(workdir, "uas.csv"), "w") as f:
        f.write(f"SEQUENTIAL\nuas;{auth('uas', special['uas'])}\n")
    with open(os.path.join(workdir, "caller.csv"), "w") as f:
        f.write(f"SEQUENTIAL\ncaller;{auth('caller', special['caller'])};uas\n")
    with open(os.path.join(workdir, "rtcbridge-users.csv"), "w") as f:  # name,password
        for u, p in allu:
            f.write(f"{u},{p}\n")
    os.chmod(os.path.join(workdir, "rtcbridge-users.csv"), 0o600)
    return allu


def make_kamailio_db(path, users):
    """SQLite users DB for Kamailio's auth_db: standard + subscriber tables
    from the Debian package's schema; HA1 only, no plain passwords."""
    if os.path.exists(path):
        os.unlink(path)
    schema_dir = "/usr/share/kamailio/db_sqlite"
    db = sqlite3.connect(path)
    for name in ("standard-create.sql", "auth_db-create.sql"):
        with open(os.path.join(schema_dir, name)) as f:
            db.executescript(f.read())
    db.executemany(
        "INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES (?, ?, '', ?, '')",
        [(u, REALM, hashlib.md5(f"{u}:{REALM}:{p}".encode()).hexdigest()) for u, p in users])
    db.commit()
    db.close()


# ---------------------------------------------------------------- SIP ping


def sip_ping(port, timeout=15.0):
    """Wait until something answers an OPTIONS on udp 127.0.0.1:port."""
    deadline = time.time() + timeout
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((HOST, 0))
    lport = s.getsockname()[1]
    n = 0
    try:
        while time.time() < deadline:
            n += 1
            msg = (f"OPTIONS sip:{HOST}:{port} SIP/2.0\r\n"
                   f"Via: SIP/2.0/UDP {HOST}:{lport};branch=z9hG4bK-ping{n}{secrets.token_hex(4)};rport\r\n"
                   f"Max-Forwards: 70\r\nFrom: <sip:ping@{HOST}>;tag=p{n}\r\n"
                   f"To: <sip:{HOST}:{port}>\r\nCall-ID: ping{n}-{secrets.token_hex(6)}@{HOST}\r\n"
                   f"CSeq: {n} OPTIONS\r\nContent-Length: 0\r\n\r\n")
            s.sendto(msg.encode(), (HOST, port))
            s.settimeout(0.5)
            try:
                data, _ = s.recvfrom(65535)
                if data.startswith(b"SIP/2.0 "):
                    return True
            except socket.timeout:
                pass
    finally:
        s.close()
    return False


# ---------------------------------------------------------------- servers


class Server:
    name = "?"
    port = 0

    def __init__(self, args, workdir):
        self.args = args
        self.dir = os.path.join(workdir, self.name)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.proc = None

    def pids(self):
        if not self.proc:
            return []
        return proc_tree(self.proc.pid)

    def cpu_ticks(self):
        return sum(t for t in (proc_ticks(p) for p in self.pids()) if t)

    def mem(self):
        pids = self.pids()
        return {
            "processes": len(pids),
            "rss_kb": sum(status_kb(p, "VmRSS") for p in pids),
            "pss_kb": sum(pss_kb(p) for p in pids),
        }

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if not self.proc:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                for p in reversed(self.pids()):
                    try:
                        os.kill(p, signal.SIGKILL)
                    except OSError:
                        pass
                self.proc.wait(5)
        self.logf.close()

    def describe(self):
        return ""


class Kamailio(Server):
    name = "kamailio"
    port = 35060

    def start(self, users):
        db = os.path.join(self.dir, "users.sqlite")
        make_kamailio_db(db, users)
        self.ctl = os.path.join(self.dir, "ctl.sock")
        cfg = os.path.join(BENCH, "kamailio.cfg")
        self.cmd = ["taskset", "-c", str(self.args.server_cpu), "kamailio",
                    "-f", cfg, "-DD", "-E",
                    "-m", str(self.args.kam_shm), "-M", str(self.args.kam_pkg),
                    "-P", os.path.join(self.dir, "kamailio.pid"), "-Y", self.dir,
                    "-A", f"BENCH_LISTEN=udp:{HOST}:{self.port}",
                    "-A", f'BENCH_DB="sqlite://{db}"',
                    "-A", f'BENCH_CTL="unix:{self.ctl}"',
                    "-A", f"BENCH_CHILDREN={self.args.kam_children}"]
        if self.args.kam_strict:
            self.cmd += ["-A", "STRICT_AUTH"]
        self.logf = open(os.path.join(self.dir, "kamailio.log"), "w")
        self.proc = subprocess.Popen(self.cmd, stdout=self.logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        if not sip_ping(self.port) or not self.alive():
            raise RuntimeError(f"kamailio did not start; see {self.logf.name}")

    def kamcmd(self, *a):
        try:
            r = subprocess.run(["kamcmd", "-s", f"unix:{self.ctl}", *a], capture_output=True,
                               text=True, timeout=20)
            return r.stdout
        except (OSError, subprocess.TimeoutExpired):
            return ""

    def mem(self):
        m = super().mem()
        out = self.kamcmd("core.shmmem")
        for line in out.splitlines():
            k, _, v = line.strip().rstrip(",").partition(":")
            if k.strip() == "real_used":
                m["shm_real_used_kb"] = int(v.strip()) // 1024
        return m

    def registrations(self):
        out = self.kamcmd("stats.get_statistics", "usrloc:")
        for line in out.splitlines():
            if "registered_users" in line:
                try:
                    return int(line.split("=")[-1])
                except ValueError:
                    pass
        return None

    def describe(self):
        return (f"kamailio {kam_version()}: {self.args.kam_children} UDP workers "
                f"(+ main, timer and ctl processes), shm {self.args.kam_shm} MB, pkg "
                f"{self.args.kam_pkg} MB/process, usrloc db_mode 0, auth_db on db_sqlite (HA1), "
                + ("STRICT_AUTH: REGISTER stateful + nonce_count" if self.args.kam_strict else
                   "REGISTER stateless, qop=auth without nonce_count (Kamailio's usual setup)"))


class Rtcbridge(Server):
    name = "rtcbridge"
    port = 36060

    def start(self, users):
        binary = self.args.rtcbridge
        ctl = self.args.rtcbridge_ctl
        for b in (binary, ctl):
            if not os.access(b, os.X_OK):
                raise RuntimeError(f"{b} not built (run make)")
        state = os.path.join(self.dir, "state")
        os.makedirs(state)
        conf = os.path.join(self.dir, "rtcbridge.conf")
        with open(conf, "w") as f:
            f.write("[general]\nlog_level = warn\n[sip]\n"
                    f"listen = {HOST}\nudp_port = {self.port}\ntcp_port = {self.port}\ntls_port = 0\n")
        csvf = os.path.join(os.path.dirname(self.dir), "rtcbridge-users.csv")
        r = subprocess.run([ctl, "--state-dir", state, "user", "import", csvf],
                           capture_output=True, text=True, timeout=600)
        log(f"  rtcbridge-ctl user import: {(r.stdout + r.stderr).strip()}")
        if r.returncode != 0:
            raise RuntimeError("rtcbridge-ctl user import failed")
        self.state = state
        self.cmd = ["taskset", "-c", str(self.args.server_cpu), binary, "-c", conf,
                    "--state-dir", state]
        self.logf = open(os.path.join(self.dir, "rtcbridge.log"), "w")
        self.proc = subprocess.Popen(self.cmd, stdout=self.logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        if not sip_ping(self.port) or not self.alive():
            raise RuntimeError(f"rtcbridge did not start; see {self.logf.name}")

    def registrations(self):
        try:
            r = subprocess.run([self.args.rtcbridge_ctl, "--state-dir", self.state,
                                "registrations"], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            return None
        last = r.stdout.strip().splitlines()[-1:] or [""]
        try:
            return int(last[0].split()[0])
        except (ValueError, IndexError):
            return None

    def describe(self):
        threads = 0
        if self.proc:
            threads = status_kb(self.proc.pid, "Threads")
        return f"rtcbridge ({self.args.rtcbridge}): 1 process, {threads} threads"


def kam_version():
    try:
        out = subprocess.run(["kamailio", "-v"], capture_output=True, text=True).stdout
        return out.split()[2]
    except (OSError, IndexError):
        return "?"


# ---------------------------------------------------------------- SIPp


def read_semicolon_csv(path):
    try:
        with open(path, newline="") as f:
            rows = list(csv.reader(f, delimiter=";"))
    except OSError:
        return None, []
    if not rows:
        return None, []
    return rows[0], [r for r in rows[1:] if len(r) >= len(rows[0]) - 1]


def parse_stat(path):
    """Last row of SIPp's -trace_stat file as {column: value}."""
    head, rows = read_semicolon_csv(path)
    if not head or not rows:
        return {}
    return dict(zip(head, rows[-1]))


def stat_int(st, key):
    try:
        return int(float(st.get(key, "0") or 0))
    except ValueError:
        return 0


def parse_counts(path):
    """SIPp -trace_counts: per scenario message Sent/Retrans/Timeout/Unexp.
    Returns (totals, first_send_times) where first_send_times is a list of
    (elapsed_s, count of the scenario's first message sent)."""
    head, rows = read_semicolon_csv(path)
    if not head or not rows:
        return {}, []
    last = dict(zip(head, rows[-1]))
    tot = {"sent": 0, "retrans_sent": 0, "recv": 0, "timeout": 0, "unexp": 0}
    for k, v in last.items():
        parts = k.split("_")
        if len(parts) < 3 or not parts[0].isdigit():
            continue
        try:
            v = int(v)
        except ValueError:
            continue
        kind = parts[-1]
        if kind == "Sent":
            tot["sent"] += v
        elif kind == "Recv":
            tot["recv"] += v
        elif kind == "Retrans" and _is_sent_message(head, k):
            tot["retrans_sent"] += v
        elif kind == "Timeout":
            tot["timeout"] += v
        elif kind == "Unexp":
            tot["unexp"] += v
    # the first message of the scenario: the first *_Sent or *_Recv column
    first = next((k for k in head if k.endswith("_Sent") or k.endswith("_Recv")), None)
    series = []
    if first:
        i = head.index(first)
        ie = head.index("ElapsedTime")
        for r in rows:
            series.append((elapsed_s(r[ie]), int(r[i] or 0)))
    return tot, series


def _is_sent_message(head, retrans_col):
    """A *_Retrans column belongs to a message we send when its index also
    has a *_Sent column (for received messages Retrans counts duplicates)."""
    prefix = retrans_col[: -len("Retrans")]
    return (prefix + "Sent") in head


def elapsed_s(text):
    # "HH:MM:SS:uuuuuu"
    try:
        h, m, s, us = text.split(":")
        return int(h) * 3600 + int(m) * 60 + int(s) + int(us) / 1e6
    except ValueError:
        return 0.0


class Sipp:
    """One SIPp process pinned to the generator CPU. Its CPU time comes from
    wait4()'s rusage, so it is exact even after the process exited."""

    def __init__(self, args, rundir, tag, scenario, server_port, local_port, extra,
                 count, time_limit):
        self.rundir = rundir
        self.tag = tag
        self.stat = os.path.join(rundir, f"{tag}.stat.csv")
        self.err = os.path.join(rundir, f"{tag}.errors.log")
        self.cwd = os.path.join(rundir, tag)
        os.makedirs(self.cwd, exist_ok=True)
        self.cmd = ["taskset", "-c", str(args.sipp_cpu), "sipp", f"{HOST}:{server_port}",
                    "-sf", scenario, "-t", "u1", "-i", HOST, "-p", str(local_port),
                    "-m", str(count), "-nostdin",
                    "-trace_stat", "-stf", self.stat, "-fd", "250ms",
                    "-trace_counts", "-trace_err", "-error_file", self.err,
                    "-max_log_size", "2000000",
                    "-buff_size", "4194304",
                    "-max_recv_loops", "10000", "-max_sched_loops", "10000",
                    "-timeout", f"{int(time_limit)}s", "-timeout_error"] + extra
        if args.trace_msg:
            self.cmd += ["-trace_msg", "-message_file", os.path.join(rundir, f"{tag}.messages.log"),
                         "-trace_screen"]
        self.time_limit = time_limit + 15
        self.proc = None
        self.status = None
        self.rusage = None

    def start(self):
        self.t0 = time.time()
        self.out = open(os.path.join(self.rundir, f"{self.tag}.stdout"), "w")
        self.proc = subprocess.Popen(self.cmd, cwd=self.cwd, stdout=self.out,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        return self

    def poll(self):
        if self.status is not None:
            return True
        pid, status, ru = os.wait4(self.proc.pid, os.WNOHANG)
        if pid == 0:
            return False
        self.status, self.rusage, self.t1 = status, ru, time.time()
        self.out.close()
        return True

    def wait(self, limit=None):
        deadline = self.t0 + (limit if limit is not None else self.time_limit)
        while not self.poll():
            if time.time() > deadline:
                self.kill()
                break
            time.sleep(0.05)
        return self

    def kill(self):
        if self.status is not None:
            return
        self.killed = True
        try:
            self.proc.send_signal(signal.SIGUSR1)   # SIPp: stop and dump stats
        except OSError:
            pass
        end = time.time() + 3
        while time.time() < end:
            if self.poll():
                return
            time.sleep(0.05)
        self.proc.kill()
        _, self.status, self.rusage = os.wait4(self.proc.pid, 0)
        self.t1 = time.time()
        self.out.close()

    @property
    def exit_code(self):
        if self.status is None:
            return None
        if os.WIFEXITED(self.status):
            return os.WEXITSTATUS(self.status)
        return -os.WTERMSIG(self.status)

    @property
    def cpu_s(self):
        return (self.rusage.ru_utime + self.rusage.ru_stime) if self.rusage else 0.0

    def results(self):
        st = parse_stat(self.stat)
        counts_file = None
        if os.path.isdir(self.cwd):
            for n in os.listdir(self.cwd):
                if n.endswith("_counts.csv"):
                    counts_file = os.path.join(self.cwd, n)
        tot, series = parse_counts(counts_file) if counts_file else ({}, [])
        return {
            "exit": self.exit_code,
            "killed": getattr(self, "killed", False),
            "created": stat_int(st, "TotalCallCreated") or stat_int(st, "IncomingCall(C)"),
            "incoming": stat_int(st, "IncomingCall(C)"),
            "success": stat_int(st, "SuccessfulCall(C)"),
            "failed": stat_int(st, "FailedCall(C)"),
            "retrans": stat_int(st, "Retransmissions(C)"),
            "unexpected": stat_int(st, "FailedUnexpectedMessage(C)"),
            "recv_timeouts": stat_int(st, "FailedTimeoutOnRecv(C)"),
            "max_udp_retrans": stat_int(st, "FailedMaxUDPRetrans(C)"),
            "watchdog_major": stat_int(st, "WatchdogMajor(C)"),
            "watchdog_minor": stat_int(st, "WatchdogMinor(C)"),
            "dead_call_msgs": stat_int(st, "DeadCallMsgs(C)"),
            "out_of_call_msgs": stat_int(st, "OutOfCallMsgs(C)"),
            "msgs_sent": tot.get("sent", 0),
            "msgs_retrans": tot.get("retrans_sent", 0),
            "series": series,
            "cpu_s": self.cpu_s,
            "wall_s": (self.t1 - self.t0) if self.status is not None else 0.0,
        }


# ---------------------------------------------------------------- rungs


class Bench:
    def __init__(self, args):
        self.args = args
        self.workdir = args.out
        os.makedirs(self.workdir, exist_ok=True)

    def settle(self, seconds):
        time.sleep(seconds)

    def measure(self, server, fn):
        """Run fn() and measure server CPU, machine CPU, wall time around it."""
        d0, e0 = udp_socket_drops(server.port), udp_rcvbuf_errors()
        s0, c0, w0 = server.cpu_ticks(), cpu_times(), time.time()
        res = fn()
        s1, c1, w1 = server.cpu_ticks(), cpu_times(), time.time()
        res["server_drops"] = udp_socket_drops(server.port) - d0
        res["other_drops"] = max(0, udp_rcvbuf_errors() - e0 - res["server_drops"])
        wall = w1 - w0
        res["server_cpu"] = (s1 - s0) / HZ / wall if wall > 0 else 0
        busy = sum(c1[k][0] - c0[k][0] for k in c1 if k != "cpu" and k in c0) / HZ
        sipp_cpu = sum(x["cpu_s"] for x in res["sipps"])
        res["sipp_cpu"] = sipp_cpu / wall if wall > 0 else 0
        res["other_cpu"] = max(0.0, (busy - (s1 - s0) / HZ - sipp_cpu) / wall) if wall > 0 else 0
        res["wall"] = wall
        res["server_alive"] = server.alive()
        return res

    def register_run(self, server, rate, count, tag, limit_s):
        rundir = os.path.join(server.dir, tag)
        os.makedirs(rundir, exist_ok=True)
        inf = os.path.join(self.workdir, "users.csv")
        sp = Sipp(self.args, rundir, "reg", SCN_REG, server.port, PORT_REG,
                  ["-inf", inf, "-r", str(rate), "-rp", "1000", "-l", str(max(1000, rate * 3)),
                   "-recv_timeout", "10000"], count, limit_s)

        def go():
            sp.start().wait()
            return {"sipps": [sp.results()]}
        res = self.measure(server, go)
        return self.judge(res, rate, count, main=0, rundir=rundir)

    def call_run(self, server, rate, count, tag, limit_s):
        rundir = os.path.join(server.dir, tag)
        os.makedirs(rundir, exist_ok=True)
        uas = Sipp(self.args, rundir, "uas", SCN_UAS, server.port, PORT_UAS,
                   ["-s", "uas"], count, limit_s + 10)
        uac = Sipp(self.args, rundir, "uac", SCN_UAC, server.port, PORT_UAC,
                   ["-inf", os.path.join(self.workdir, "caller.csv"), "-r", str(rate),
                    "-rp", "1000", "-l", str(max(1000, rate * 3)), "-recv_timeout", "10000"],
                   count, limit_s)

        def go():
            uas.start()
            time.sleep(0.5)
            uac.start().wait()
            # the UAS ends each call 2 s after the BYE (timewait)
            uas.wait(limit=(time.time() - uas.t0) + 6)
            return {"sipps": [uac.results(), uas.results()]}
        res = self.measure(server, go)
        return self.judge(res, rate, count, main=0, rundir=rundir)

    def judge(self, res, rate, count, main, rundir):
        a = self.args
        m = res["sipps"][main]
        reasons = []
        for i, s in enumerate(res["sipps"]):
            who = "uac" if i == 0 else "uas"
            if s["killed"]:
                reasons.append(f"{who} killed at time limit")
            if s["success"] != count:
                reasons.append(f"{who} {s['success']}/{count} ok")
            if s["failed"]:
                reasons.append(f"{who} {s['failed']} failed")
        sent = sum(s["msgs_sent"] for s in res["sipps"])
        retr = sum(s["msgs_retrans"] for s in res["sipps"])
        res["retrans_ratio"] = retr / sent if sent else 0.0
        if res["retrans_ratio"] >= RETRANS_LIMIT:
            reasons.append(f"retrans {100 * res['retrans_ratio']:.2f}%")
        # offered rate: when did SIPp create the last call?
        t_all = next((t for t, n in m["series"] if n >= count), None)
        intended = count / rate
        if t_all is None:
            res["offered"] = None
            reasons.append("not all calls offered")
        else:
            res["offered"] = count / max(t_all, intended * 0.5)
            if t_all > intended / OFFER_SLACK + 0.3:   # 0.3 s: stat sampling period
                reasons.append(f"offered only {res['offered']:.0f}/s")
        if not res["server_alive"]:
            reasons.append("SERVER DIED")
        res["ok"] = not reasons
        res["reasons"] = reasons
        # who was the limit
        limits = []
        if res["server_cpu"] >= BUSY:
            limits.append("server CPU")
        if res["sipp_cpu"] >= BUSY:
            limits.append("sipp CPU")
        if any(s["watchdog_major"] for s in res["sipps"]):
            limits.append("sipp watchdog (sipp overloaded)")
        if res["server_drops"]:
            limits.append(f"{res['server_drops']} datagrams dropped at the server's full socket buffer")
        if res["other_drops"]:
            limits.append(f"{res['other_drops']} datagrams dropped at other full socket buffers (SIPp)")
        if (res["offered"] is not None and res["offered"] < OFFER_SLACK * rate
                and res["server_cpu"] < 0.7 and "sipp CPU" not in limits):
            limits.append("sipp could not offer the rate while the server was not busy")
        res["limits"] = limits
        res["generator_limited"] = any(x.startswith("sipp") or "(SIPp)" in x for x in limits)
        res["rate"] = rate
        res["count"] = count
        res["rundir"] = rundir
        with open(os.path.join(rundir, "result.json"), "w") as f:
            json.dump({k: v for k, v in res.items()}, f, indent=1, default=str)
        return res

    def show(self, load, res):
        offered = f"{res['offered']:.0f}" if res["offered"] else "-"
        m = res["sipps"][0]
        extra = ""
        if res["other_cpu"] > OTHER_LOAD_WARN:
            extra += f" [other programs used {100 * res['other_cpu']:.0f}% of a core]"
        log(f"    {load:8s} {res['rate']:6d}/s  offered {offered:>6s}/s  "
            f"ok {m['success']}/{res['count']} fail {m['failed']}  "
            f"retrans {100 * res['retrans_ratio']:5.2f}%  server CPU {100 * res['server_cpu']:3.0f}%  "
            f"sipp CPU {100 * res['sipp_cpu']:3.0f}%  -> {'PASS' if res['ok'] else 'FAIL'}"
            + ("" if res["ok"] else f" ({'; '.join(res['reasons'])})")
            + (f"  limit: {', '.join(res['limits'])}" if res["limits"] else "") + extra)

    def ladder(self, server, load, rates, runner):
        a = self.args
        best, fail, history = None, None, []
        n = 0

        def rung(rate, attempt):
            nonlocal n
            n += 1
            count = max(int(rate * a.duration), a.min_calls)
            tag = f"{load}-{n:02d}-{rate}"
            res = runner(server, rate, count, tag, a.duration * 2 + 20)
            history.append(res)
            self.show(load + ("" if attempt == 0 else " again"), res)
            time.sleep(a.pause)
            return res

        for rate in rates:
            res = rung(rate, 0)
            if not res["ok"] and server.alive():
                res = rung(rate, 1)
            if res["ok"]:
                best = res
                continue
            fail = res
            break
        if best and fail and server.alive():
            step = 50 if load == "call" else 100
            mid = int(round((best["rate"] + fail["rate"]) / 2 / step) * step)
            if best["rate"] < mid < fail["rate"]:
                res = rung(mid, 0)
                if res["ok"]:
                    best = res
                else:
                    fail = res
        return {"best": best, "fail": fail, "history": history,
                "top_reached": fail is None}

    # ---------------------------------------------------------------- phases

    def memory_phase(self, server):
        a = self.args
        self.settle(2)
        before = server.mem()
        log(f"  memory before: RSS {before['rss_kb']} kB (sum over {before['processes']} "
            f"processes), PSS {before['pss_kb']} kB"
            + (f", shm real_used {before['shm_real_used_kb']} kB" if "shm_real_used_kb" in before else ""))
        res = self.register_run(server, a.mem_rate, NUSERS, "mem-register", NUSERS / a.mem_rate + 60)
        self.show("mem-reg", res)
        ok = res["sipps"][0]["success"]
        self.settle(a.mem_settle)
        after = server.mem()
        regs = server.registrations()
        log(f"  memory after {ok} REGISTERs ({regs if regs is not None else '?'} registrations "
            f"in the server): RSS {after['rss_kb']} kB, PSS {after['pss_kb']} kB"
            + (f", shm real_used {after['shm_real_used_kb']} kB" if "shm_real_used_kb" in after else ""))
        per = {}
        n = ok or 1
        for k in ("rss_kb", "pss_kb", "shm_real_used_kb"):
            if k in before and k in after:
                per[k] = (after[k] - before[k]) * 1024 / n
        return {"before": before, "after": after, "registered_ok": ok,
                "server_registrations": regs, "per_reg_bytes": per, "run": res}

    def register_uas(self, server):
        rundir = os.path.join(server.dir, "uas-register")
        os.makedirs(rundir, exist_ok=True)
        sp = Sipp(self.args, rundir, "uasreg", SCN_UAS_REG, server.port, PORT_UAS,
                  ["-inf", os.path.join(self.workdir, "uas.csv"), "-recv_timeout", "5000"], 1, 15)
        r = sp.start().wait().results()
        if r["success"] != 1:
            raise RuntimeError(f"UAS registration failed on {server.name}; see {rundir}")

    def run_server(self, server, users):
        a = self.args
        log(f"\n=== {server.name} on udp {HOST}:{server.port} "
            f"(server on CPU {a.server_cpu}, SIPp on CPU {a.sipp_cpu}) ===")
        out = {"name": server.name}
        try:
            server.start(users)
            out["describe"] = server.describe()
            log(f"  {out['describe']}")
            if "mem" in a.phases:
                out["memory"] = self.memory_phase(server)
            if "reg" in a.phases:
                log("  REGISTER ladder (reg.xml, 20,000 users, digest auth):")
                out["reg"] = self.ladder(server, "register", a.reg_rates, self.register_run)
            if "call" in a.phases:
                self.register_uas(server)
                log("  call ladder (uac.xml -> server -> uas.xml, INVITE auth + RR + BYE):")
                out["call"] = self.ladder(server, "call", a.call_rates, self.call_run)
        except Exception as e:  # report and go on with the other server
            log(f"  ERROR: {e}")
            out["error"] = str(e)
        finally:
            out["alive_at_end"] = server.alive()
            server.stop()
        return out


# ---------------------------------------------------------------- report


def fmt_rate(lad):
    if not lad:
        return "n/a", ""
    best = lad["best"]
    if best is None:
        note = "no rung passed"
        if lad["fail"] and lad["fail"]["generator_limited"]:
            note += " (load generator limited)"
        return "0", note
    v = f"{best['rate']}"
    if lad["top_reached"]:
        return ">=" + v, "ladder top passed: raise the rates"
    f = lad["fail"]
    lim = ", ".join(f["limits"]) if f["limits"] else "no CPU saturated: latency/loss"
    note = f"first failure at {f['rate']}/s: {'; '.join(f['reasons'])}; limit: {lim}"
    if f["generator_limited"]:
        v = ">=" + v
        note += "  => LOAD GENERATOR LIMITED, the server may do more"
    return v, note


def rate_value(lad):
    if not lad or not lad["best"]:
        return None
    return lad["best"]["rate"]


def report(results, args):
    log("\n================ SIP benchmark summary ================")
    log(f"loopback UDP, server pinned to CPU {args.server_cpu}, SIPp (UAC and UAS) pinned to "
        f"CPU {args.sipp_cpu}; {os.cpu_count()} CPUs")
    log(f"pass = all calls ok, 0 failed, < {100 * RETRANS_LIMIT:.0f}% SIPp messages retransmitted, "
        f"rate offered; {args.duration:g} s per rung")
    for r in results:
        if "describe" in r:
            log(f"  {r['describe']}")
        if "error" in r:
            log(f"  {r['name']}: ERROR {r['error']}")
    by = {r["name"]: r for r in results}
    rb, km = by.get("rtcbridge", {}), by.get("kamailio", {})
    log("")
    log(f"{'load':22s} {'rtcbridge':>12s} {'kamailio':>12s} {'ratio':>7s}")
    for key, label in (("reg", "REGISTER/s (digest)"), ("call", "calls/s (auth+RR)")):
        a, b = rate_value(rb.get(key)), rate_value(km.get(key))
        ra, _ = fmt_rate(rb.get(key))
        kb, _ = fmt_rate(km.get(key))
        ratio = f"{a / b:.2f}" if a and b else "n/a"
        log(f"{label:22s} {ra:>12s} {kb:>12s} {ratio:>7s}")
    for r in results:
        for key in ("reg", "call"):
            v, note = fmt_rate(r.get(key))
            if note:
                log(f"  {r['name']} {key}: {note}")
    log("")
    log("memory per registration (after 20,000 REGISTERs minus before, / registrations):")
    for r in results:
        m = r.get("memory")
        if not m:
            continue
        p = m["per_reg_bytes"]
        line = f"  {r['name']:10s} VmRSS {p.get('rss_kb', 0):7.0f} B"
        if r["name"] == "kamailio":
            line += (f"  (VmRSS summed over {m['after']['processes']} processes; shared pages touched "
                     f"by several count once per process)")
            log(line)
            log(f"  {'':10s} PSS   {p.get('pss_kb', 0):7.0f} B  (PSS summed: shared pages split "
                f"between processes)")
            if "shm_real_used_kb" in p:
                log(f"  {'':10s} shm   {p['shm_real_used_kb']:7.0f} B  (Kamailio's shared-memory "
                    f"allocator, real_used; the {args.kam_shm} MB shm segment is reserved at start and "
                    f"only counts in RSS once touched)")
        else:
            log(line + "  (one process)")
        if m["registered_ok"] != NUSERS:
            log(f"  {'':10s} WARNING: only {m['registered_ok']} of {NUSERS} REGISTERs succeeded")
    log("")
    log(f"details: {args.out}/<server>/<rung>/ (SIPp stat/counts/errors, result.json)")


# ---------------------------------------------------------------- main


def parse_rates(text):
    return [int(x) for x in text.split(",") if x.strip()]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--servers", default="kamailio,rtcbridge",
                   help="comma list, run in this order (default kamailio,rtcbridge)")
    p.add_argument("--phases", default="mem,reg,call", help="comma list of mem,reg,call")
    p.add_argument("--reg-rates", type=parse_rates, default=DEFAULT_REG_RATES)
    p.add_argument("--call-rates", type=parse_rates, default=DEFAULT_CALL_RATES)
    p.add_argument("--duration", type=float, default=10.0,
                   help="seconds of traffic per rung (count = rate * duration)")
    p.add_argument("--min-calls", type=int, default=500)
    p.add_argument("--pause", type=float, default=3.0, help="seconds between rungs")
    p.add_argument("--mem-rate", type=int, default=500, help="REGISTER/s of the memory phase")
    p.add_argument("--mem-settle", type=float, default=8.0,
                   help="seconds between the memory phase's last REGISTER and the RSS reading")
    p.add_argument("--server-cpu", type=int, default=0)
    p.add_argument("--sipp-cpu", type=int, default=1)
    p.add_argument("--kam-children", type=int, default=2)
    p.add_argument("--kam-shm", type=int, default=2048,
                   help="Kamailio -m (MB): a transaction takes tens of kB of shm for the 5 s "
                        "wait timer; 512 MB ran out at 4,000 stateful REGISTER/s")
    p.add_argument("--kam-strict", action="store_true",
                   help="Kamailio with -A STRICT_AUTH: stateful REGISTER and nonce_count, as rtcbridge")
    p.add_argument("--kam-pkg", type=int, default=16, help="Kamailio -M (MB)")
    p.add_argument("--rtcbridge", default=os.path.join(ROOT, "build", "rtcbridge"))
    p.add_argument("--rtcbridge-ctl", default=os.path.join(ROOT, "build", "rtcbridge-ctl"))
    p.add_argument("--out", default=os.path.join(BENCH, "out"))
    p.add_argument("--trace-msg", action="store_true",
                   help="SIPp -trace_msg (slow; for debugging a failing exchange)")
    args = p.parse_args()
    args.phases = args.phases.split(",")
    if os.cpu_count() < 2:
        args.sipp_cpu = args.server_cpu = 0
        log("WARNING: one CPU: server and SIPp share it")

    bench = Bench(args)
    log(f"output directory: {args.out}")
    users = make_users(args.out)
    results = []
    t0 = time.time()
    for name in args.servers.split(","):
        cls = {"kamailio": Kamailio, "rtcbridge": Rtcbridge}[name.strip()]
        results.append(bench.run_server(cls(args, args.out), users))
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1, default=str)
    report(results, args)
    log(f"total time {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
