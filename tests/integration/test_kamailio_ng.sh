#!/usr/bin/env bash
# test_kamailio_ng.sh BUILD_DIR - Kamailio's rtpengine module uses rtcbridge
# as its media relay over the ng control protocol (plain RTP).
#
#   SIPp UAC (127.0.0.1:25711) -> Kamailio (127.0.0.1:25700, stateful proxy,
#   record_route, rtpengine_offer/answer/delete) -> SIPp UAS (127.0.0.1:25710)
#   Kamailio -> rtcbridge ng socket 127.0.0.1:25224, relay ports 25600-25699.
#
# Checks: Kamailio's config passes `kamailio -c`; N calls all succeed (SIPp
# exit status and counters); the SDP the UAS got in each INVITE and the SDP
# the UAC got in each 200 name 127.0.0.1 and a port in 25600-25699, not the
# other phone's own port; rtcbridge logged offer, answer and delete for
# every Call-ID; after the calls an ng query for each Call-ID says "Unknown
# call-id". Media: a Python stand-in for both phones' RTP ports (A 25740,
# B 25742, named in the SIPp SDP) sends 20 RTP packets per call from A to
# the relay port of the 200 (SIPp's <exec> passes it on when the 200
# arrives); B echoes each packet back to where it came from; every packet
# must reach B unchanged, from the relay port B was offered, and come back
# to A unchanged; an ng query while the call is up counts the 40 packets.
# The caller hangs up only after that query: the stand-in then sends it a
# SIP INFO (same Call-ID) that its scenario waits for, so the query never
# races the BYE however slowly the <exec> and the stand-in run on a busy
# machine (a fixed pause before the BYE lost that race under load: the
# query came after rtpengine_delete and got "Unknown call-id"). The 5
# calls overlap (SIPp -r 10 -l 5, each at least 1 s). Kamailio logs no error.
#
# The SIPp scenarios, the Kamailio config and the RTP stand-in are written
# into the test's temp dir ($T). Ports: 25224 (ng), 25600-25699 (relay),
# 25700-25749 (Kamailio, SIPp, media stand-ins), SIP 25060 (rtcbridge's own
# SIP listener, unused here).
# shellcheck disable=SC2317 # functions run through check()
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

NG_PORT=25224
RELAY_MIN=25600
RELAY_MAX=25699
KAM_PORT=25700
UAS_PORT=25710
UAC_PORT=25711
UAS_SIPP_MP=25720 # SIPp binds its own media ports (-mp, -mp + 2): kept
UAC_SIPP_MP=25730 # out of the way, the SDP names the stand-ins instead
PHONE_A=25740     # RTP stand-in for the UAC (caller, leg A)
PHONE_B=25742     # RTP stand-in for the UAS (callee, leg B)
PHONES_CTL=25744  # the stand-in's control port (SIPp <exec> -> "send")
UAS_SIPP_CP=25721 # SIPp's control sockets (default 8888, bound on 0.0.0.0)
UAC_SIPP_CP=25731
CALLS=5
RTP_PER_CALL=20
KAM_MODULES=/usr/lib/x86_64-linux-gnu/kamailio/modules

command -v kamailio >/dev/null 2>&1 || { echo "kamailio is missing: run scripts/install-deps.sh" >&2; exit 1; }
[ -f "$KAM_MODULES/rtpengine.so" ] || { echo "$KAM_MODULES/rtpengine.so is missing (package kamailio)" >&2; exit 1; }

rtcb_init "$@"
for p in "$NG_PORT" "$KAM_PORT" "$UAS_PORT" "$UAC_PORT" "$PHONE_A" "$PHONE_B" "$PHONES_CTL" \
	"$UAS_SIPP_CP" "$UAC_SIPP_CP"; do
	if ss -Hlnu "sport = :$p" 2>/dev/null | grep -q .; then
		ss -Hlnup "sport = :$p"
		fail "udp port $p is busy (another run of this test?)"
	fi
done

CONF_EXTRA="
[media]
ng_listen = $SIP_HOST:$NG_PORT
port_min = $RELAY_MIN
port_max = $RELAY_MAX
bind_address = $SIP_HOST
workers = 1
"
rtcb_config
rtcb_start
grep -q "ng: rtpengine control protocol on $SIP_HOST:$NG_PORT" "$RTCB_LOG" ||
	fail "rtcbridge did not log its ng socket on $SIP_HOST:$NG_PORT"

# ---- Kamailio ---------------------------------------------------------------

KAM_CFG=$T/kamailio.cfg
KAM_LOG=$T/kamailio.log
KAM_RUN=$T/kamailio-run
KAM_PID=$T/kamailio.pid
mkdir -p "$KAM_RUN"
cat >"$KAM_CFG" <<EOF
#!KAMAILIO
# written by tests/integration/test_kamailio_ng.sh: stateful proxy, no
# database, media through rtcbridge's ng socket.
debug=2
log_stderror=yes
children=2
disable_tcp=yes
enable_sctp=0
auto_aliases=no
dns=no
rev_dns=no
listen=udp:$SIP_HOST:$KAM_PORT

mpath="$KAM_MODULES/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "pv.so"
loadmodule "rtpengine.so"

modparam("tm", "fr_timer", 3000)
modparam("tm", "fr_inv_timer", 10000)
modparam("rtpengine", "rtpengine_sock", "udp:$SIP_HOST:$NG_PORT")
modparam("rtpengine", "rtpengine_tout_ms", 1000)
modparam("rtpengine", "rtpengine_retr", 2)

request_route {
	if (!mf_process_maxfwd_header("10")) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}
	if (is_method("CANCEL")) {
		if (t_check_trans()) {
			t_relay();
		}
		exit;
	}
	# a retransmission: tm absorbs it (or resends the last reply) and ends the script
	if (!is_method("ACK")) {
		t_check_trans();
	}

	# in-dialog: ACK and BYE along the route set
	if (has_totag()) {
		if (loose_route()) {
			if (is_method("BYE")) {
				rtpengine_delete();
			}
			t_relay();
			exit;
		}
		if (is_method("ACK")) {
			if (t_check_trans()) {
				t_relay();
			}
			exit;
		}
		sl_send_reply("404", "Not here");
		exit;
	}

	if (!is_method("INVITE")) {
		sl_send_reply("405", "Method Not Allowed");
		exit;
	}
	remove_hf("Route");
	record_route();
	if (has_body("application/sdp")) {
		if (!rtpengine_offer()) {
			sl_send_reply("503", "Media Relay Unavailable");
			exit;
		}
	}
	t_on_reply("MEDIA");
	if (!t_relay()) {
		sl_reply_error();
	}
	exit;
}

onreply_route[MEDIA] {
	if (t_check_status("200") && has_body("application/sdp")) {
		rtpengine_answer();
	}
}
EOF

if ! kamailio -c -f "$KAM_CFG" -Y "$KAM_RUN" >"$T/kamailio-check.log" 2>&1; then
	sed 's/^/  /' "$T/kamailio-check.log"
	fail "kamailio -c rejects $KAM_CFG"
fi
log "kamailio -c accepts the config"

# lib.sh's clean-up sends SIGTERM and then, right away, SIGKILL: Kamailio's
# main process would die before it stops its children, which would keep
# port 25700. So Kamailio is stopped here: SIGTERM, up to 5 s for main and
# children to go, then SIGKILL to whatever is left of them (by pid).
KAM_BG=
running() { # PID: alive and not a zombie
	local stat
	stat=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $stat != Z* ]]
}
kam_stop() {
	[ -n "$KAM_BG" ] || return 0
	local main=$KAM_BG kids pid left deadline=$((SECONDS + 5))
	KAM_BG=
	kids=$(pgrep -P "$main")
	kill -TERM "$main" 2>/dev/null
	while :; do
		left=
		for pid in $main $kids; do
			running "$pid" && left+=" $pid"
		done
		if [ -z "$left" ] || [ "$SECONDS" -ge "$deadline" ]; then
			break
		fi
		sleep 0.1
	done
	if [ -n "$left" ]; then
		log "kamailio processes$left still there 5 s after SIGTERM: SIGKILL"
		# shellcheck disable=SC2086 # one argument per pid
		kill -KILL $left 2>/dev/null
	fi
	wait "$main" 2>/dev/null
	return 0
}
kam_dump() {
	[ -s "$KAM_LOG" ] || return 0
	echo "----- kamailio log (last 80 lines of $KAM_LOG) -----"
	tail -n 80 "$KAM_LOG" | sed 's/^/  /'
}
trap 'rc=$?; kam_stop; if [ "$rc" -ne 0 ] || [ "$FAILURES" -ne 0 ]; then kam_dump; fi; (exit $rc); rtcb_cleanup' EXIT

bg_start kamailio "$KAM_LOG" kamailio -DD -E -m 32 -M 4 -f "$KAM_CFG" -Y "$KAM_RUN" -P "$KAM_PID" -w "$T"
KAM_BG=$BG_PID
wait_port udp "$KAM_PORT" 10 || fail "kamailio does not listen on $SIP_HOST:$KAM_PORT"
kill -0 "$KAM_BG" 2>/dev/null || fail "kamailio exited"
log "kamailio pid $KAM_BG listens on $SIP_HOST:$KAM_PORT"

# ---- RTP stand-ins for the phones --------------------------------------------

cat >"$T/rtp_phones.py" <<'EOF'
"""rtp_phones.py - RTP stand-ins for both phones of every call.

  serve A_PORT B_PORT CTL_PORT COUNT OUT_JSON SECS LIB_DIR NG_PORT UAC_PORT
      A: on "send CALLNUM RELAYPORT CALLID" (CTL) sends COUNT RTP packets
         (SSRC = CALLNUM) to 127.0.0.1:RELAYPORT and counts what comes back;
         once all COUNT are back (or 3 s after sending) asks rtcbridge
         what it counted for CALLID (ng query, nglib.py's client in
         LIB_DIR), then tells the SIPp caller on 127.0.0.1:UAC_PORT it may
         hang up: a SIP INFO with that Call-ID, which its scenario waits
         for before the BYE;
      B: echoes every packet to its source, noting the source port.
      Ends on "quit" (CTL) or after SECS; writes OUT_JSON, with the wall
      clock time (as in rtcbridge's log) of each step of each call.
  trigger CTL_PORT CALLNUM RELAYPORT CALLID   (run by SIPp's <exec>)
"""
import json
import select
import socket
import struct
import sys
import time

HOST = "127.0.0.1"
ECHO_WAIT = 3.0  # s after sending: query even though not every packet came back


def stamp():
    """Wall clock time as rtcbridge logs it (HH:MM:SS.mmm, local time)."""
    t = time.time()
    return time.strftime("%H:%M:%S", time.localtime(t)) + ".%03d" % (int(t * 1000) % 1000)


def info(call_id, callnum, ctl_port, uac_port):
    """The INFO that lets the SIPp caller hang up (matched by Call-ID)."""
    return ("INFO sip:uac@{h}:{u} SIP/2.0\r\n"
            "Via: SIP/2.0/UDP {h}:{c};branch=z9hG4bK-media-done-{n}\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:media@{h}>;tag=media{n}\r\n"
            "To: <sip:uac@{h}>\r\n"
            "Call-ID: {cid}\r\n"
            "CSeq: 1 INFO\r\n"
            "Content-Length: 0\r\n\r\n").format(h=HOST, u=uac_port, c=ctl_port, n=callnum, cid=call_id).encode()


def serve(a_port, b_port, ctl_port, count, out, secs, lib_dir, ng_port, uac_port):
    sys.path.insert(0, lib_dir)
    sys.dont_write_bytecode = True
    from medialib import rtp
    from nglib import Ng
    ng = Ng(port=ng_port)
    pending = []  # (monotonic deadline, record): sent, query not yet made
    socks = {}
    for name, port in (("a", a_port), ("b", b_port), ("ctl", ctl_port)):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((HOST, port))
        socks[name] = s
    calls = {}  # ssrc -> record

    def rec(ssrc):
        return calls.setdefault(str(ssrc), {"call": ssrc, "call_id": "", "relay_a": 0, "sent": 0,
                                            "b_got": 0, "b_good": 0, "b_from": [], "a_got": 0, "a_good": 0,
                                            "query": None, "query_raw": None, "at": {}})

    def query_and_release(r):
        r["at"]["query"] = stamp()
        _, raw, q = ng.request({"command": "query", "call-id": r["call_id"]})
        r["at"]["reply"] = stamp()
        r["query"] = q
        r["query_raw"] = raw.decode("latin-1") if raw is not None else None
        socks["ctl"].sendto(info(r["call_id"], r["call"], ctl_port, uac_port), (HOST, uac_port))
        r["at"]["info"] = stamp()

    deadline = time.monotonic() + secs
    done = False
    while not done and time.monotonic() < deadline:
        ready, _, _ = select.select(list(socks.values()), [], [], 0.05)
        for item in list(pending):
            if item[1]["a_got"] >= count or item[0] <= time.monotonic():
                pending.remove(item)
                query_and_release(item[1])
        for s in ready:
            data, src = s.recvfrom(4096)
            if s is socks["ctl"]:
                words = data.decode("latin-1").split()
                if words[:1] == ["quit"]:
                    done = True
                elif words[:1] == ["send"] and len(words) == 4:
                    ssrc, relay = int(words[1]), int(words[2])
                    r = rec(ssrc)
                    r["call_id"], r["relay_a"] = words[3], relay
                    r["at"]["trigger"] = stamp()
                    for seq in range(count):
                        socks["a"].sendto(rtp(seq, ssrc, 7), (HOST, relay))
                        r["sent"] += 1
                        time.sleep(0.002)
                    pending.append((time.monotonic() + ECHO_WAIT, r))
                continue
            if len(data) < 12:
                continue
            seq, ssrc = struct.unpack("!H", data[2:4])[0], struct.unpack("!I", data[8:12])[0]
            r = rec(ssrc)
            good = data == rtp(seq, ssrc, 7)
            if s is socks["b"]:
                r["b_got"] += 1
                r["b_good"] += good
                if src[1] not in r["b_from"]:
                    r["b_from"].append(src[1])
                socks["b"].sendto(data, src)
            else:
                r["a_got"] += 1
                r["a_good"] += good
    with open(out, "w") as f:
        json.dump(calls, f, indent=1)


def main():
    if sys.argv[1] == "serve":
        a, b, ctl, count = (int(x) for x in sys.argv[2:6])
        serve(a, b, ctl, count, sys.argv[6], float(sys.argv[7]), sys.argv[8], int(sys.argv[9]), int(sys.argv[10]))
    elif sys.argv[1] == "trigger":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(("send %s %s %s" % tuple(sys.argv[3:6])).encode(), (HOST, int(sys.argv[2])))


main()
EOF

bg_start rtp-phones "$T/rtp_phones.out" python3 "$T/rtp_phones.py" serve \
	"$PHONE_A" "$PHONE_B" "$PHONES_CTL" "$RTP_PER_CALL" "$T/media.json" 120 "$LIB_DIR" "$NG_PORT" "$UAC_PORT"
PHONES_BG=$BG_PID
wait_port udp "$PHONES_CTL" 5 || fail "the RTP stand-ins did not start"

# ---- SIPp scenarios ----------------------------------------------------------

cat >"$T/uas_media.xml" <<EOF
<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<!-- Callee behind Kamailio: INVITE, 180, 200 with SDP naming the B stand-in, ACK, BYE, 200. -->
<scenario name="uas_media">
  <recv request="INVITE" crlf="true"/>
  <send>
    <![CDATA[

      SIP/2.0 180 Ringing
      [last_Via:]
      [last_Record-Route:]
      [last_From:]
      [last_To:];tag=[pid]uas[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:uas@[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0

    ]]>
  </send>
  <send retrans="500">
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_Record-Route:]
      [last_From:]
      [last_To:];tag=[pid]uas[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:uas@[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=uas 2 1 IN IP4 [local_ip]
      s=-
      c=IN IP4 [local_ip]
      t=0 0
      m=audio $PHONE_B RTP/AVP 0
      a=rtpmap:0 PCMU/8000

    ]]>
  </send>
  <recv request="ACK" crlf="true"/>
  <recv request="BYE"/>
  <send>
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <!-- stay a moment to answer a retransmitted BYE -->
  <pause milliseconds="500"/>
</scenario>
EOF

cat >"$T/uac_media.xml" <<EOF
<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<!-- Caller through Kamailio: INVITE with SDP naming the A stand-in, 1xx, 200
     (its relay port goes to the stand-in, which sends RTP), ACK, the
     stand-in's INFO once its RTP is back and its ng query done (at most
     20 s: then on without it, the media check says why), 1 s, BYE, 200.
     The BYE's To is the 200's (kept in \$to), not the INFO's. -->
<scenario name="uac_media">
  <send retrans="500">
    <![CDATA[

      INVITE sip:uas@$SIP_HOST:$UAS_PORT SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      Max-Forwards: 70
      From: <sip:uac@$SIP_HOST>;tag=[pid]uac[call_number]
      To: <sip:uas@$SIP_HOST:$UAS_PORT>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:uac@[local_ip]:[local_port];transport=[transport]>
      User-Agent: rtcbridge-tests/sipp
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=uac 1 1 IN IP4 [local_ip]
      s=-
      c=IN IP4 [local_ip]
      t=0 0
      m=audio $PHONE_A RTP/AVP 0
      a=rtpmap:0 PCMU/8000

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rrs="true" rtd="true">
    <action>
      <ereg regexp="m=audio ([0-9]+) " search_in="body" check_it="true" assign_to="m,relay"/>
      <ereg regexp=".*" search_in="hdr" header="To:" check_it="true" assign_to="to"/>
      <exec command="python3 $T/rtp_phones.py trigger $PHONES_CTL [call_number] [\$relay] [call_id]"/>
    </action>
  </recv>
  <send>
    <![CDATA[

      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      [routes]
      Max-Forwards: 70
      From: <sip:uac@$SIP_HOST>;tag=[pid]uac[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: <sip:uac@[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0

    ]]>
  </send>
  <recv request="INFO" timeout="20000" ontimeout="bye"/>
  <label id="bye"/>
  <pause milliseconds="1000"/>
  <send retrans="500">
    <![CDATA[

      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      [routes]
      Max-Forwards: 70
      From: <sip:uac@$SIP_HOST>;tag=[pid]uac[call_number]
      To:[\$to]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Contact: <sip:uac@[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" crlf="true"/>
  <Reference variables="m"/>
</scenario>
EOF

# sipp_cmd takes scenarios from SIPP_DIR and sends to rtcbridge: ours are in
# $T and the UAC sends to Kamailio (-rsa).
SIPP_DIR=$T
SIPP_TIMEOUT=30
SIPP_LIMIT=40

# ---- the calls ---------------------------------------------------------------

sipp_bg uas udp "$UAS_PORT" uas_media.xml -m "$CALLS" -mp "$UAS_SIPP_MP" -cp "$UAS_SIPP_CP"
UAS_BG=$BG_PID
wait_port udp "$UAS_PORT" 5 || fail "the SIPp UAS did not start"

# 5 calls, up to 5 at a time, 10 a second: they overlap.
check "$CALLS calls UAC -> Kamailio -> UAS succeed (SIPp UAC)" \
	sipp_run uac udp "$UAC_PORT" uac_media.xml -rsa "$SIP_HOST:$KAM_PORT" \
	-m "$CALLS" -l "$CALLS" -r 10 -mp "$UAC_SIPP_MP" -cp "$UAC_SIPP_CP"
check "the SIPp UAS saw all $CALLS calls through" sipp_wait uas "$UAS_BG" 15

# SIPp's last statistics line: successful and failed calls.
sipp_counts() { # NAME -> "successful failed"
	python3 - "$T/$1.stat.csv" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1]), delimiter=";"))
head, last = rows[0], rows[-1]
print(last[head.index("SuccessfulCall(C)")], last[head.index("FailedCall(C)")])
EOF
}
counters_ok() {
	local c
	c=$(sipp_counts "$1") || return 1
	log "sipp $1: successful/failed calls: $c"
	[ "$c" = "$CALLS 0" ]
}
check "UAC counters: $CALLS successful, 0 failed" counters_ok uac
check "UAS counters: $CALLS successful, 0 failed" counters_ok uas

# ---- what the SDP said ---------------------------------------------------------

# sdp_report NAME KIND: one line per message received by SIPp NAME of KIND
# ("INVITE" or "200" to INVITE): Call-ID, c= addresses, m=audio port.
sdp_report() {
	python3 - "$T/$1.messages.log" "$2" <<'EOF'
import re, sys
text = open(sys.argv[1], encoding="latin-1").read()
kind = sys.argv[2]
for part in re.split(r"^-{20,}.*$", text, flags=re.M):
    m = re.search(r"message received \[\d+\] bytes :\s*\n\s*\n?(.*)", part, re.S)
    if not m:
        continue
    msg = m.group(1).lstrip("\r\n")
    first = msg.split("\n", 1)[0].strip()
    if kind == "INVITE" and not first.startswith("INVITE "):
        continue
    if kind == "200" and not (first.startswith("SIP/2.0 200") and re.search(r"^CSeq:\s*\d+ INVITE", msg, re.M | re.I)):
        continue
    cid = re.search(r"^(?:Call-ID|i):\s*(\S+)", msg, re.M | re.I)
    addrs = re.findall(r"^c=IN IP4 (\S+)", msg, re.M)
    port = re.search(r"^m=audio (\d+) ", msg, re.M)
    print(cid.group(1) if cid else "-", ",".join(addrs) or "-", port.group(1) if port else "-")
EOF
}

# sdp_relayed NAME KIND OWN_PORT: every such message names only 127.0.0.1 and
# a relay port (not OWN_PORT, the phone port the other side wrote), and
# there are CALLS of them with distinct Call-IDs.
sdp_relayed() {
	local name=$1 kind=$2 own=$3 report n bad
	report=$(sdp_report "$name" "$kind") || return 1
	printf '%s\n' "$report" | sed "s/^/  $name $kind: /"
	n=$(printf '%s\n' "$report" | awk 'NF == 3 { print $1 }' | sort -u | wc -l)
	bad=$(printf '%s\n' "$report" | awk -v lo="$RELAY_MIN" -v hi="$RELAY_MAX" -v own="$own" -v h="$SIP_HOST" '
		{ n = split($2, a, ","); ok = n > 0
		  for (i = 1; i <= n; i++) if (a[i] != h) ok = 0
		  if (!ok || $3 == own || $3 + 0 < lo || $3 + 0 > hi) print }')
	[ "$n" -eq "$CALLS" ] || { log "$n distinct calls in $name's $kind messages, expected $CALLS"; return 1; }
	[ -z "$bad" ] || { log "not relayed:"; printf '%s\n' "$bad" | sed 's/^/  /'; return 1; }
}
check "UAS: each INVITE's SDP names $SIP_HOST and a relay port ($RELAY_MIN-$RELAY_MAX), not the UAC's $PHONE_A" \
	sdp_relayed uas INVITE "$PHONE_A"
check "UAC: each 200's SDP names $SIP_HOST and a relay port ($RELAY_MIN-$RELAY_MAX), not the UAS's $PHONE_B" \
	sdp_relayed uac 200 "$PHONE_B"

CALL_IDS=$(sdp_report uac 200 | awk '{ print $1 }' | sort -u)

# ---- rtcbridge's side -----------------------------------------------------------

ng_logged() {
	local cid what missing=0
	for cid in $CALL_IDS; do
		for what in "offer from" "answer from" "deleted"; do
			if ! grep -qF "media: call $cid: $what" "$RTCB_LOG"; then
				log "rtcbridge did not log 'media: call $cid: $what'"
				missing=1
			fi
		done
	done
	[ -n "$CALL_IDS" ] && [ "$missing" -eq 0 ]
}
check "rtcbridge logged ng offer, answer and delete for each of the $CALLS calls" ng_logged

ng_unknown_after_bye() {
	# shellcheck disable=SC2086 # one argument per Call-ID
	python3 - "$LIB_DIR" "$NG_PORT" $CALL_IDS <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
sys.dont_write_bytecode = True
from nglib import Ng
ng = Ng(port=int(sys.argv[2]))
bad = 0
for cid in sys.argv[3:]:
    _, _, r = ng.request({"command": "query", "call-id": cid})
    ok = r is not None and r.get("result") == "error" and r.get("error-reason") == "Unknown call-id"
    print("  query %s -> %r" % (cid, r))
    bad += not ok
sys.exit(1 if bad or len(sys.argv) < 4 else 0)
EOF
}
check "ng query after BYE: every Call-ID is unknown (deleted)" ng_unknown_after_bye

# ---- media through the relay ----------------------------------------------------

python3 - "$PHONES_CTL" <<'EOF'
import socket, sys
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"quit", ("127.0.0.1", int(sys.argv[1])))
EOF
bg_wait "$PHONES_BG" 5 || log "the RTP stand-ins did not end cleanly"

media_ok() {
	[ -s "$T/media.json" ] || { log "no $T/media.json"; cat "$T/rtp_phones.out"; return 1; }
	# shellcheck disable=SC2086 # one argument per Call-ID
	python3 - "$T/media.json" "$T/uas.messages.log" "$RTCB_LOG" "$CALLS" "$RTP_PER_CALL" "$RELAY_MIN" "$RELAY_MAX" \
		$CALL_IDS <<'EOF'
import json, re, sys
calls = json.load(open(sys.argv[1]))
n, count, lo, hi = (int(x) for x in sys.argv[4:8])
sip_ids = sys.argv[8:]
# relay port each INVITE offered to B, by Call-ID
offered = {}
text = open(sys.argv[2], encoding="latin-1").read()
for part in re.split(r"^-{20,}.*$", text, flags=re.M):
    if "message received" not in part or not re.search(r"^\s*INVITE ", part, re.M):
        continue
    cid = re.search(r"^Call-ID:\s*(\S+)", part, re.M | re.I)
    port = re.search(r"^m=audio (\d+) ", part, re.M)
    if cid and port:
        offered[cid.group(1)] = int(port.group(1))
# what rtcbridge logged of each call: [(time, what)] by Call-ID
logged = {}
for line in open(sys.argv[3], encoding="latin-1"):
    m = re.match(r"(\S+) +\w+ +media: call (\S+): (.*)", line)
    if m:
        logged.setdefault(m.group(2), []).append((m.group(1), m.group(3).strip()))


def explain(r):
    """Why a call failed: the stand-in's steps, the raw ng reply, rtcbridge's log of the call."""
    at = r.get("at", {})
    print("    stand-in: trigger %s, query %s, reply %s, INFO to the caller %s"
          % tuple(at.get(k, "never") for k in ("trigger", "query", "reply", "info")))
    print("    raw ng reply: %r" % r.get("query_raw"))
    mine = logged.get(r["call_id"], [])
    if not mine:
        print("    rtcbridge logged no call %r; it logged: %s" % (r["call_id"], ", ".join(sorted(logged)) or "none"))
    for t, what in mine:
        print("    rtcbridge %s: %s" % (t, what))
    deleted = [t for t, what in mine if what.startswith("deleted") or what.startswith("no media")]
    if deleted and at.get("query") and at["query"] >= deleted[0]:
        print("    the query came after rtcbridge deleted the call")


bad = 0
for r in sorted(calls.values(), key=lambda r: r["call"]):
    b_port = offered.get(r["call_id"])
    q = r["query"] or {}
    total = q.get("totals", {}).get("RTP", {}).get("packets")
    # rtcbridge received A's packets and B's echoes: 2 * count
    ok = (lo <= r["relay_a"] <= hi and b_port is not None and lo <= b_port <= hi
          and r["sent"] == count and r["b_got"] == count and r["b_good"] == count
          and r["a_got"] == count and r["a_good"] == count and r["b_from"] == [b_port]
          and q.get("result") == "ok" and total == 2 * count)
    print("  call %d %s: A sent %d to relay %d; B got %d (%d intact) from %s (offered %s); A got %d back"
          " (%d intact); mid-call ng query: %s, %s packets%s"
          % (r["call"], r["call_id"], r["sent"], r["relay_a"], r["b_got"], r["b_good"], r["b_from"], b_port,
             r["a_got"], r["a_good"], q.get("result"), total, "" if ok else "  <- FAIL"))
    if not ok:
        explain(r)
    bad += not ok
seen = set(r["call_id"] for r in calls.values())
for cid in sip_ids:
    if cid not in seen:
        print("  call %s: the stand-in never got its relay port (SIPp's <exec> trigger did not arrive)" % cid)
if len(calls) != n:
    print("  media for %d calls, expected %d" % (len(calls), n))
    bad += 1
sys.exit(1 if bad else 0)
EOF
}
check "media: $RTP_PER_CALL RTP packets per call A -> relay -> B and back, intact, B fed from its offered relay port; mid-call query counts them" media_ok

# ---- end -------------------------------------------------------------------------

check "kamailio still running" kill -0 "$KAM_BG"
kam_quiet() {
	! grep -E "(ERROR|CRITICAL|ALERT|BUG):" "$KAM_LOG"
}
check "kamailio logged no errors (rtpengine module: no failed ng request)" kam_quiet
check "rtcbridge alive after the calls" rtcb_alive
kam_stop
rtcb_finish
