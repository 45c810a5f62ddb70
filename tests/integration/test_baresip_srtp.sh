#!/usr/bin/env bash
# test_baresip_srtp.sh BUILD_DIR - real baresip phones call each other
# through rtcbridge with the media anchored in rtcbridge's relay, one leg
# encrypted (SDES-SRTP, or DTLS-SRTP with ICE) and the other plain RTP.
#
# 1. [media] anchor = always:
#  a. SDES: A (1001, mediaenc=srtp-mand: RTP/SAVP with a=crypto) calls B
#     (1002, plain). B must get RTP/AVP without a=crypto naming the relay
#     (127.0.0.1, a port in 25800-25899); A an RTP/SAVP answer with exactly
#     one a=crypto (rtcbridge's key: B has none) naming the relay; A reports
#     SRTP on (CALL_MENC with its suite) and logs no SRTP error.
#  b. B (plain) calls 1001 (SRTP mandatory): rtcbridge offers phones plain
#     RTP/AVP, so 1001 refuses it; B must get that 488 and the relay must
#     delete the call.
#  c. B (plain) calls A2 (1003, mediaenc=srtp: SRTP optional, 1000 Hz):
#     A2 gets RTP/AVP and answers RTP/AVP, both through the relay.
# 2. [media] anchor = auto (the default); the ICE phones stand in for a
#    WebRTC endpoint on UDP (UDP/TLS/RTP/SAVPF, a=fingerprint, ICE); a
#    WebRTC caller and a phone callee must get anchored:
#  a. A3 (1004, mediaenc=dtls_srtp, medianat=ice, rtcp_mux yes, as
#     browsers) calls B (1002). B gets RTP/AVP without ICE/DTLS attributes
#     naming the relay; A3 gets UDP/TLS/RTP/SAVPF with a=ice-lite,
#     a=fingerprint sha-256, a=setup:passive, a=rtcp-mux and a host
#     candidate on the relay; A3's ICE checks complete, DTLS-SRTP completes
#     with the fingerprint verified (CALL_MENC); the re-INVITE A3 sends
#     once ICE has picked its pair is answered with the same credentials,
#     fingerprint and port.
#  b. A4 (1005, the same without rtcp-mux: baresip's default, two ICE
#     components) calls B. RFC 8035 (updating RFC 5761 5.1.1): an answer
#     holds a=rtcp-mux only when the offer did, so A4 must get none, and an
#     ICE candidate for component 2 at its RTCP address (a=rtcp, else port
#     + 1); ICE, DTLS and audio as in 2a.
#
# Every call that connects: both phones report CALL_ESTABLISHED (ctrl_tcp
# events, read by one persistent client per phone: baresip_ctrl.py
# --follow), then they talk CALL_SECONDS (5): each phone sends its own tone
# (ausine: callers of 1a and 2 1000 Hz, B 440 Hz) and records what it
# decodes (sndfile); each recording must hold >= 3 s in which the other
# side's tone dominates and its own is absent (tests/integration/audio.py:
# Goertzel over 100 ms windows). On the wire (a packet socket on lo): on the
# encrypted leg every PCMU RTP packet to and from the relay is longer than
# plain RTP (172 bytes: 12 + 160) by an SRTP tag, with DTLS handshake
# records and STUN both ways for DTLS; on the plain leg they are exactly 172
# bytes; >= 150 each way on each leg. The caller hangs up, both report
# CALL_CLOSED, and rtcbridge logs "media: call <Call-ID>: deleted" (relay
# ports released).
#
# Two product bugs this test found: the answer to a WebRTC offer without
# rtcp-mux must not have a=rtcp-mux and needs a component-2 candidate (2b);
# RTP reaching the relay before the 200 OK must not go in clear to the SDES
# leg (1a's wire check: baresip starts sending before its 200).
#
# The test runs itself in a private network namespace with only lo (see
# below). Ports there: phones' SIP 25400-25410, ctrl_tcp 25420-25425,
# phones' RTP 25430-25499, rtcbridge relay 25800-25899.
# shellcheck disable=SC2317 # functions run through check()
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

RELAY_MIN=25800
RELAY_MAX=25899
TONE_A=1000
TONE_B=440
PLAIN_LEN=172 # PCMU, 20 ms: 12-byte RTP header + 160 bytes
MIN_PACKETS=150
CALL_SECONDS=${BARESIP_CALL_SECONDS:-5}
MODDIR=/usr/lib/baresip/modules

# baresip's ice module (1.0.0) gathers no host candidate on 127.0.0.1
# (libre's sa_is_loopback() skips exactly that address; the call then
# fails with "ice: set default cands failed"), so the ICE phones use
# 127.0.0.2, which must be an address of lo: the test runs itself in a
# private network namespace that has only lo (as tests/browser/run.sh
# does), with 127.0.0.2/8 added there. Nothing outside the namespace is
# touched, no other test's ports can clash, and the packet socket sees only
# this test's traffic.
ICE_HOST=127.0.0.2
if [ -z "${RTCB_SRTP_IN_NETNS:-}" ]; then
	if [ "$(id -u)" -eq 0 ]; then
		ns=(unshare --net)
	else
		ns=(unshare --net --map-root-user)
	fi
	"${ns[@]}" true 2>/dev/null || { echo "cannot make a network namespace (${ns[*]}); needs root or user namespaces" >&2; exit 1; }
	RTCB_SRTP_IN_NETNS=1 exec "${ns[@]}" -- bash "$0" "$@"
fi
ip link set lo up 2>/dev/null || { echo "cannot bring up lo in the namespace" >&2; exit 1; }
if ip -o link show | grep -v ': lo:' >/dev/null; then
	echo "the namespace has interfaces besides lo; refusing to run" >&2
	exit 1
fi
[[ $(ip -4 addr show dev lo) == *"inet $ICE_HOST/"* ]] || ip addr add "$ICE_HOST/8" dev lo ||
	{ echo "cannot add $ICE_HOST to lo in the namespace" >&2; exit 1; }

command -v baresip >/dev/null || { echo "baresip is not installed (scripts/install-deps.sh)" >&2; exit 1; }
for m in ausine aubridge sndfile ctrl_tcp srtp dtls_srtp ice g711; do
	[ -f "$MODDIR/$m.so" ] || { echo "baresip module $m missing ($MODDIR)" >&2; exit 1; }
done

rtcb_init "$@"

# ---- the relay's configuration ---------------------------------------------

# media_config ANCHOR: rtcbridge's config with [media] anchor = ANCHOR.
media_config() {
	# shellcheck disable=SC2034 # read by rtcb_config
	CONF_EXTRA="
[media]
anchor = $1
port_min = $RELAY_MIN
port_max = $RELAY_MAX
bind_address = 127.0.0.1
timeout = 30
"
	rtcb_config
}

# ---- phones ----------------------------------------------------------------

declare -A PHONE_CTRL PHONE_PID PHONE_USER

# phone NAME USER SIP_PORT CTRL_PORT RTP_RANGE TONE ACCOUNT_PARAMS MODULE...
# baresip with config dir $T/NAME, its log $T/NAME.log (SIP trace on), its
# ctrl events $T/NAME.events. ACCOUNT_PARAMS are appended to the account
# line (";mediaenc=srtp-mand" ...). PHONE_ADDR: its own address (default
# 127.0.0.1); PHONE_CONFIG: extra config lines; PHONE_OPTS: extra options.
phone() {
	local name=$1 user=$2 sport=$3 cport=$4 rtp=$5 tone=$6 params=$7 pw addr=${PHONE_ADDR:-$SIP_HOST}
	shift 7
	pw=$(random_password)
	rtcb_ctl user add "$user" "$pw" >/dev/null || fail "rtcbridge-ctl user add $user failed"
	# baresip also binds TCP on sport and TLS on sport+1: keep ports 2 apart.
	baresip_config --rtp-stats --line "${PHONE_CONFIG:-}" \
		"$T/$name" "$addr:$sport" "$addr" "$SIP_HOST:$cport" "$rtp" "$tone" "$T/$name/rec" "$@" ||
		fail "cannot write $T/$name/config"
	# the AOR's domain is rtcbridge's address whatever the phone's own
	printf '<sip:%s@%s>;auth_pass=%s;outbound="sip:%s:%d;transport=udp";answermode=auto;regint=300;audio_codecs=pcmu%s\n' \
		"$user" "$SIP_HOST" "$pw" "$SIP_HOST" "$SIP_PORT" "$params" >"$T/$name/accounts"
	mkfifo "$T/$name.fifo"
	# -t: baresip quits by itself even if this script is killed.
	# shellcheck disable=SC2086 # PHONE_OPTS: extra words (-v)
	bg_start "baresip-$name" "$T/$name.log" baresip -f "$T/$name" -s ${PHONE_OPTS:-} -t 120
	PHONE_PID[$name]=$BG_PID
	PHONE_USER[$name]=$user
	# one persistent ctrl connection per phone (baresip_ctrl.py --follow)
	bg_start "ctrl-$name" "$T/$name.ctrl.log" timeout 130 python3 "$LIB_DIR/baresip_ctrl.py" --follow \
		"$cport" "$T/$name.events" "$T/$name.fifo"
	PHONE_CTRL[$name]=$BG_PID
}

# quit_phone NAME: ask baresip to quit, then make sure it is gone.
quit_phone() {
	ctrl "$1" quit >/dev/null 2>&1
	bg_wait "${PHONE_PID[$1]}" 5 >/dev/null
	bg_wait "${PHONE_CTRL[$1]}" 3 >/dev/null
}

TOKEN=0
# ctrl NAME COMMAND [PARAMS]: send one command through the phone's ctrl
# client; success when baresip's response (matched by token) says ok
# within 5 s.
ctrl() {
	local name=$1 cmd=$2 params=${3:-} tok deadline line
	TOKEN=$((TOKEN + 1))
	tok="t$TOKEN"
	# shellcheck disable=SC2016 # expanded by the inner bash
	timeout 5 bash -c 'printf "%s\n" "$1" >"$2"' _ "$tok $cmd $params" "$T/$name.fifo" || return 1
	deadline=$((SECONDS + 5))
	while [ "$SECONDS" -lt "$deadline" ]; do
		line=$(grep -a "\"token\": \"$tok\"" "$T/$name.events" 2>/dev/null | grep -a '"response": true' | head -n 1)
		if [ -n "$line" ]; then
			grep -q '"ok": true' <<<"$line" && return 0
			log "$name: $cmd $params: $line"
			return 1
		fi
		sleep 0.1
	done
	log "$name: no response to $cmd $params"
	return 1
}

# ctrl_ready NAME...: each phone's ctrl client is connected (bounded: 10 s;
# baresip loads ctrl_tcp after it has sent its REGISTER).
ctrl_ready() {
	local deadline=$((SECONDS + 10)) n
	for n in "$@"; do
		while ! grep -q '"client": "connected"' "$T/$n.events" 2>/dev/null; do
			[ "$SECONDS" -lt "$deadline" ] || { log "$n: ctrl client not connected after 10 s"; return 1; }
			sleep 0.1
		done
	done
}

# event_count NAME TYPE [CALL_ID]: how many events of TYPE the phone
# reported (for that call only when CALL_ID is given).
event_count() {
	local n
	n=$(grep -a "\"type\": \"$2\"" "$T/$1.events" 2>/dev/null | grep -acF "\"id\": \"${3:-}")
	echo "${n:-0}"
}

# wait_event NAME TYPE COUNT SECS [CALL_ID]: the phone reported TYPE at
# least COUNT times (for that call).
wait_event() {
	local deadline=$((SECONDS + $4))
	while [ "$SECONDS" -lt "$deadline" ]; do
		[ "$(event_count "$1" "$2" "${5:-}")" -ge "$3" ] && return 0
		sleep 0.1
	done
	log "$1: $(event_count "$1" "$2" "${5:-}") $2 events ${5:+for call $5 }after $4 s, wanted $3"
	return 1
}

# event_field NAME TYPE FIELD [CALL_ID]: FIELD of the newest such event.
event_field() {
	grep -a "\"type\": \"$2\"" "$T/$1.events" 2>/dev/null | grep -aF "\"id\": \"${4:-}" | tail -n 1 |
		python3 -c 'import json, sys
line = sys.stdin.read().strip()
print(json.loads(line).get(sys.argv[1], "") if line else "")' "$3"
}

# menc_is NAME CALL_ID REGEX: the phone reported media encryption on for
# the call (CALL_MENC) with a param matching REGEX.
menc_is() {
	local p
	p=$(event_field "$1" CALL_MENC param "$2")
	log "$1: CALL_MENC param: ${p:-(none)}"
	[ -n "$p" ] && [[ $p =~ $3 ]]
}

# registered USER...: each has a binding at rtcbridge (bounded: 10 s).
registered() {
	local deadline=$((SECONDS + 10))
	while [ "$SECONDS" -lt "$deadline" ]; do
		reg_listed "$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	reg_listed "$@"
}

# phone_log NAME: the phone's log without colour codes.
phone_log() { sed 's/\x1b\[[0-9;]*m//g; s/\r$//' "$T/$1.log"; }

# log_has NAME REGEX / log_lacks NAME REGEX: on the phone's log.
log_has() {
	# (no grep -q: with pipefail, sed's SIGPIPE would fail the pipeline)
	phone_log "$1" | grep -aE "$2" >/dev/null || { log "$1: nothing matches /$2/ in its log"; return 1; }
}
log_lacks() {
	local hit
	hit=$(phone_log "$1" | grep -aE "$2" | head -n 3)
	[ -z "$hit" ] || { log "$1 logged: $hit"; return 1; }
}

# ---- SDPs as the phones saw them ---------------------------------------------

# sdp_of NAME KIND CALL_ID [last]: the SDP body of the first (or last)
# message of KIND that the phone received from rtcbridge in that call, from
# its SIP trace (baresip -s prints "UDP from -> to", then the message):
# KIND is INVITE (an initial or re-INVITE) or 200 (a 200 OK to an INVITE).
sdp_of() {
	phone_log "$1" | awk -v kind="$2" -v cid="$3" -v nth="${4:-first}" -v from="$SIP_HOST:$SIP_PORT -> " '
		/^(UDP|TCP|TLS|WS|WSS) [^ ]+ -> [^ ]+$/ {
			inmsg = index($0, from) == length($1) + 2; first = 1; body = 0; cur = ""; next }
		!inmsg { next }
		first { first = 0; isinv = 0; samecall = 0
			want = (kind == "INVITE" && $0 ~ /^INVITE /) || (kind == "200" && $0 ~ /^SIP\/2.0 200 /)
			next }
		!want { next }
		/^CSeq:.*INVITE/ { isinv = 1 }
		$0 == "Call-ID: " cid { samecall = 1 }
		/^v=0/ { body = 1 }
		body {
			if ($0 !~ /^[a-z]=/) {
				inmsg = 0
				if (samecall && isinv && (nth == "last" || !found)) { found = 1; sdp = cur }
				next
			}
			cur = cur $0 "\n" }
		END { printf "%s", sdp }'
}

# save_sdps LABEL CALLER CALLEE CALL_ID: the offer the callee got and the
# answer the caller got, into $T/LABEL.offer.sdp and $T/LABEL.answer.sdp.
save_sdps() {
	sdp_of "$3" INVITE "$4" >"$T/$1.offer.sdp"
	sdp_of "$2" 200 "$4" >"$T/$1.answer.sdp"
	log "$1: offer to the callee:"
	sed 's/^/    /' "$T/$1.offer.sdp"
	log "$1: answer to the caller:"
	sed 's/^/    /' "$T/$1.answer.sdp"
}

# sdp_port FILE: the audio m= line's port. sdp_rtcp_port FILE: its a=rtcp
# port, else the port + 1.
sdp_port() { awk '/^m=audio / { print $2; exit }' "$1"; }
sdp_rtcp_port() {
	awk '/^m=audio / { m = 1; p = $2 } m && /^a=rtcp:/ { sub(/^a=rtcp:/, ""); r = $1 } END { print (r != "" ? r : p + 1) }' "$1"
}

# sdp_check FILE WHAT...: each WHAT is a check on the SDP:
#   proto=P       the audio m= line's proto is P (P may be a regex)
#   crypto=N      exactly N a=crypto lines
#   has=REGEX     some line matches; none=REGEX: no line matches
#   relay         c= is 127.0.0.1 and the audio port is in the relay range
#   cand1         an ICE host candidate for component 1 at 127.0.0.1 and the m= port
#   cand2         an ICE host candidate for component 2 at 127.0.0.1 and the
#                 RTCP port (a=rtcp, else m= port + 1)
sdp_check() {
	local f=$1 what proto port addr n
	shift
	[ -s "$f" ] || { log "no SDP in $f"; return 1; }
	for what in "$@"; do
		case $what in
		proto=*)
			proto=$(awk '/^m=audio / { print $3; exit }' "$f")
			[[ $proto =~ ^(${what#proto=})$ ]] || { log "$(basename "$f"): proto $proto, wanted ${what#proto=}"; return 1; } ;;
		crypto=*)
			n=$(grep -c '^a=crypto:' "$f")
			[ "$n" -eq "${what#crypto=}" ] || { log "$(basename "$f"): $n a=crypto lines, wanted ${what#crypto=}"; return 1; } ;;
		has=*)
			grep -qE "${what#has=}" "$f" || { log "$(basename "$f"): no line matches ${what#has=}"; return 1; } ;;
		none=*)
			! grep -qE "${what#none=}" "$f" || { log "$(basename "$f"): a line matches ${what#none=}"; return 1; } ;;
		relay)
			port=$(sdp_port "$f")
			addr=$(awk '/^c=IN IP4 / { a = $3 } END { print a }' "$f")
			if [ "$addr" != 127.0.0.1 ] || [ "${port:-0}" -lt "$RELAY_MIN" ] || [ "$port" -gt "$RELAY_MAX" ]; then
				log "$(basename "$f"): media at $addr:$port, not the relay ($RELAY_MIN-$RELAY_MAX)"
				return 1
			fi ;;
		cand1 | cand2)
			if [ "$what" = cand1 ]; then port=$(sdp_port "$f"); else port=$(sdp_rtcp_port "$f"); fi
			grep -qiE "^a=candidate:[^ ]+ ${what#cand} udp [0-9]+ 127\.0\.0\.1 $port typ host" "$f" ||
				{ log "$(basename "$f"): no ICE host candidate for component ${what#cand} at 127.0.0.1:$port"; return 1; } ;;
		*) log "sdp_check: unknown $what"; return 1 ;;
		esac
	done
}

# ---- the wire ----------------------------------------------------------------

# A packet socket on lo (the namespace's only interface) counting the UDP
# packets to and from the relay's ports, by direction and kind: "rtpPT:LEN"
# (RTP version 2, not RTCP: LEN is the UDP payload length), "rtcp", "stun",
# "dtlsCT" (RFC 7983: first byte 20-63, the record's content type),
# "other". Writes {"SPORT>DPORT": {kind: [count, first, last]}} (times in
# seconds since the epoch) as JSON on SIGTERM.
cat >"$T/sniff.py" <<'PY'
import json, signal, socket, struct, sys, time
out, lo, hi = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
s.bind(("lo", 0))
s.settimeout(0.2)
stop = []
signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
print("sniffing", flush=True)
flows = {}
def kind(p):
    if len(p) >= 12 and p[0] >> 6 == 2:
        pt = p[1] & 0x7f
        return "rtcp" if 72 <= pt <= 76 else "rtp%d:%d" % (pt, len(p))
    if len(p) >= 20 and p[0] < 2 and p[4:8] == b"\x21\x12\xa4\x42":
        return "stun"
    if len(p) >= 13 and 20 <= p[0] <= 63:
        return "dtls%d" % p[0]
    return "other"
while not stop:
    try:
        data, addr = s.recvfrom(65535)
    except (socket.timeout, InterruptedError):
        continue
    if addr[2] == socket.PACKET_OUTGOING or len(data) < 42 or data[12:14] != b"\x08\x00":
        continue
    ip = data[14:]
    if ip[9] != 17:
        continue
    udp = ip[(ip[0] & 15) * 4:]
    sport, dport, ulen = struct.unpack("!HHH", udp[:6])
    if not (lo <= sport <= hi or lo <= dport <= hi):
        continue
    f = flows.setdefault("%d>%d" % (sport, dport), {})
    k = kind(udp[8:ulen])
    now = time.time()
    c = f.setdefault(k, [0, now, now])
    c[0] += 1
    c[2] = now
with open(out, "w") as fh:
    json.dump(flows, fh)
PY

SNIFF_PID=
# sniff_start LABEL: count packets from now on into $T/LABEL.wire.json.
sniff_start() {
	bg_start "sniff-$1" "$T/$1.sniff.log" timeout 60 python3 "$T/sniff.py" "$T/$1.wire.json" "$RELAY_MIN" "$((RELAY_MAX + 1))"
	SNIFF_PID=$BG_PID
	local deadline=$((SECONDS + 5))
	until grep -q sniffing "$T/$1.sniff.log" 2>/dev/null; do
		if [ "$SECONDS" -ge "$deadline" ] || ! kill -0 "$SNIFF_PID" 2>/dev/null; then
			log "packet capture did not start: $(cat "$T/$1.sniff.log")"
			return 1
		fi
		sleep 0.1
	done
}
# sniff_stop: end the capture (its summary is written on SIGTERM).
sniff_stop() {
	[ -n "$SNIFF_PID" ] || return 0
	kill -TERM "$SNIFF_PID" 2>/dev/null
	bg_wait "$SNIFF_PID" 5 >/dev/null
	SNIFF_PID=
}

# wire LABEL PORT MODE: the packets to and from relay port PORT in the
# capture of call LABEL. MODE plain: PCMU RTP, all exactly PLAIN_LEN bytes;
# srtp: PCMU RTP all longer than PLAIN_LEN (an SRTP auth tag; at most 16
# bytes more); dtls: as srtp, plus DTLS handshake records (22) and STUN
# both ways. At least MIN_PACKETS RTP packets each way.
wire() {
	python3 - "$T/$1.wire.json" "$2" "$3" "$PLAIN_LEN" "$MIN_PACKETS" <<'PY' | sed "s/^/[$TEST_NAME]   /"
import json, sys, time
path, port, mode, plain, need = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
try:
    flows = json.load(open(path))
except (OSError, ValueError) as e:
    print("no capture: %s" % e)
    sys.exit(1)
def hms(t):
    return time.strftime("%H:%M:%S", time.localtime(t)) + ".%03d" % (t % 1 * 1000)
ok = True
for way, match in (("to the relay", lambda k: k.split(">")[1] == port),
                   ("from the relay", lambda k: k.split(">")[0] == port)):
    kinds = {}
    for k, v in flows.items():
        if match(k):
            for kk, (n, first, last) in v.items():
                c = kinds.setdefault(kk, [0, first, last])
                c[0] += n
                c[1], c[2] = min(c[1], first), max(c[2], last)
    rtp = {int(k.split(":")[1]): c for k, c in kinds.items() if k.startswith("rtp0:")}
    total = sum(c[0] for c in rtp.values())
    summary = ", ".join("%s x%d" % (k, c[0]) for k, c in sorted(kinds.items()))
    print("port %s %s: %s" % (port, way, summary or "nothing"))
    if total < need:
        print("  only %d PCMU RTP packets, wanted >= %d" % (total, need))
        ok = False
    if mode == "plain":
        bad = {l: c for l, c in rtp.items() if l != plain}
        what = "not %d bytes long: not plain RTP" % plain
    else:
        bad = {l: c for l, c in rtp.items() if not plain < l <= plain + 16}
        what = "of a length without an SRTP tag (plain RTP is %d bytes)" % plain
    for l, (n, first, last) in sorted(bad.items()):
        print("  %d PCMU packets of %d bytes, %s (first at %s, last at %s)" % (n, l, what, hms(first), hms(last)))
        ok = False
    if mode == "dtls":
        for k in ("dtls22", "stun"):
            if k not in kinds:
                print("  no %s packets" % k)
                ok = False
sys.exit(0 if ok else 1)
PY
	return "${PIPESTATUS[0]}"
}

# ---- audio -------------------------------------------------------------------

# newest_rec NAME: the phone's newest recording of decoded audio.
newest_rec() {
	find "$T/$1/rec" -name '*-dec.wav' -printf '%T@ %p\n' 2>/dev/null | sort -n | tail -n 1 | cut -d' ' -f2-
}

# hears NAME HZ OTHER_HZ: NAME's newest recording has >= 3 s with HZ
# dominant and OTHER_HZ (its own tone) absent.
hears() {
	local f out rc
	f=$(newest_rec "$1")
	[ -n "$f" ] || { log "$1 recorded no received audio"; return 1; }
	out=$(python3 "$LIB_DIR/audio.py" tone "$f" "$2" "$3" 3)
	rc=$?
	log "$1 received: $out"
	return "$rc"
}

# media_deleted CALL_ID SECS: rtcbridge logged the call's deletion.
media_deleted() {
	[ -n "$1" ] || { log "no Call-ID"; return 1; }
	local deadline=$((SECONDS + $2))
	while [ "$SECONDS" -lt "$deadline" ]; do
		grep -qF "media: call $1: deleted" "$RTCB_LOG" && return 0
		sleep 0.1
	done
	log "no \"media: call $1: deleted\" in rtcbridge's log"
	return 1
}

# ---- one call ------------------------------------------------------------------

# call KEY TITLE CALLER CALLEE CALLER_TONE CALLEE_TONE: CALLER dials CALLEE,
# both report CALL_ESTABLISHED, talk CALL_SECONDS, CALLER hangs up; audio
# checked by frequency both ways; the relay deletes the call. Packets on
# lo are counted meanwhile ($T/KEY.wire.json). Sets CALL_ID; returns 1
# when the call did not connect (the checks on it would be meaningless:
# they are failed already).
call() {
	local key=$1 label="$1 $2" a=$3 b=$4 fa=$5 fb=$6 closed_a closed_b seen deadline connected=1
	local ua=${PHONE_USER[$a]} ub=${PHONE_USER[$b]}
	closed_a=$(event_count "$a" CALL_CLOSED)
	closed_b=$(event_count "$b" CALL_CLOSED)
	seen=$(wc -l <"$T/$a.events")
	CALL_ID=
	check "$label: packet capture on lo started" sniff_start "$key"
	check "$label: $ua dials $ub" ctrl "$a" dial "sip:$ub@$SIP_HOST" || { sniff_stop; return 1; }
	# the Call-ID: from the caller's first event of this call naming one
	deadline=$((SECONDS + 10))
	while [ -z "$CALL_ID" ] && [ "$SECONDS" -lt "$deadline" ]; do
		CALL_ID=$(tail -n +$((seen + 1)) "$T/$a.events" | grep -a '"id": "' | head -n 1 |
			sed 's/.*"id": "\([^"]*\)".*/\1/')
		[ -n "$CALL_ID" ] || sleep 0.1
	done
	log "$label: Call-ID ${CALL_ID:-(none: no call event at $ua)}"
	check "$label: $ua reports CALL_ESTABLISHED" wait_event "$a" CALL_ESTABLISHED 1 10 "${CALL_ID:-none}" || connected=0
	check "$label: $ub reports CALL_ESTABLISHED" wait_event "$b" CALL_ESTABLISHED 1 10 "$CALL_ID" || connected=0
	[ "$connected" = 1 ] && sleep "$CALL_SECONDS"
	check "$label: $ua hangs up" ctrl "$a" hangup
	check "$label: $ub reports CALL_CLOSED" wait_event "$b" CALL_CLOSED $((closed_b + 1)) 10
	check "$label: $ua reports CALL_CLOSED" wait_event "$a" CALL_CLOSED $((closed_a + 1)) 10
	sniff_stop
	check "$label: rtcbridge deleted the relay's call after the BYE" media_deleted "$CALL_ID" 5
	[ "$connected" = 1 ] || return 1
	check "$label: $ub heard $ua's $fa Hz (not its own $fb Hz)" hears "$b" "$fa" "$fb"
	check "$label: $ua heard $ub's $fb Hz (not its own $fa Hz)" hears "$a" "$fb" "$fa"
}

dump_phones() {
	local n
	for n in "$@"; do
		echo "----- baresip $n log (last 150 lines) -----"
		phone_log "$n" | tail -n 150 | sed 's/^/  /'
		echo "----- $n ctrl events (last 30) -----"
		tail -n 30 "$T/$n.events" 2>/dev/null | cut -c1-300 | sed 's/^/  /'
	done
}

# =============================================================================
# 1. [media] anchor = always: SDES and plain phones
# =============================================================================
media_config always
rtcb_start

phone sdes 1001 25400 25420 25430-25443 "$TONE_A" ";mediaenc=srtp-mand" srtp
phone plain 1002 25402 25421 25444-25457 "$TONE_B" "" srtp
phone sdesopt 1003 25404 25422 25458-25471 "$TONE_A" ";mediaenc=srtp" srtp
check "phones registered (1001 SRTP mandatory, 1002 plain, 1003 SRTP optional)" registered 1001 1002 1003 ||
	fail "phones did not register"
check "phones' ctrl_tcp connected" ctrl_ready sdes plain sdesopt || fail "no ctrl connection to the phones"

# 1a. SDES caller, plain callee
if call 1a "SDES to plain" sdes plain "$TONE_A" "$TONE_B" || [ -n "$CALL_ID" ]; then
	save_sdps 1a sdes plain "$CALL_ID"
	check "1a: 1002 got RTP/AVP without a=crypto, from the relay" \
		sdp_check "$T/1a.offer.sdp" proto=RTP/AVP crypto=0 relay
	check "1a: 1001 got RTP/SAVP with one a=crypto (AES_CM_128_HMAC_SHA1_80), from the relay" \
		sdp_check "$T/1a.answer.sdp" proto=RTP/SAVP crypto=1 has='^a=crypto:[0-9]+ AES_CM_128_HMAC_SHA1_80 inline:' relay
	check "1a: 1001 reports SRTP on (CALL_MENC)" menc_is sdes "$CALL_ID" 'AES_CM_128_HMAC_SHA1_80'
	check "1a: 1001 logged no SRTP error" log_lacks sdes 'srtp: (failed|no valid)'
	check "1a: SRTP on the wire between 1001 and the relay" wire 1a "$(sdp_port "$T/1a.answer.sdp")" srtp
	check "1a: plain RTP on the wire between the relay and 1002" wire 1a "$(sdp_port "$T/1a.offer.sdp")" plain
fi

# 1b. plain caller, SRTP-mandatory callee: refused (rtcbridge offers RTP/AVP)
closed=$(event_count plain CALL_CLOSED)
check "1b plain to SRTP-mandatory: 1002 dials 1001" ctrl plain dial "sip:1001@$SIP_HOST"
check "1b: the call fails at 1002 (CALL_CLOSED)" wait_event plain CALL_CLOSED $((closed + 1)) 10
reason=$(event_field plain CALL_CLOSED param)
cid=$(event_field plain CALL_CLOSED id)
log "1b: 1002's call $cid closed with: $reason"
check "1b: 1002 got 488 from 1001 (which refuses RTP/AVP)" test "${reason%% *}" = 488
check "1b: rtcbridge deleted the relay's call" media_deleted "$cid" 5

# 1c. plain caller, optional-SRTP callee
if call 1c "plain to SRTP-optional" plain sdesopt "$TONE_B" "$TONE_A" || [ -n "$CALL_ID" ]; then
	save_sdps 1c plain sdesopt "$CALL_ID"
	check "1c: 1003 got RTP/AVP without a=crypto, from the relay" \
		sdp_check "$T/1c.offer.sdp" proto=RTP/AVP crypto=0 relay
	check "1c: 1002 got RTP/AVP without a=crypto, from the relay" \
		sdp_check "$T/1c.answer.sdp" proto=RTP/AVP crypto=0 relay
	check "1c: plain RTP on the wire between 1002 and the relay" wire 1c "$(sdp_port "$T/1c.answer.sdp")" plain
	check "1c: plain RTP on the wire between the relay and 1003" wire 1c "$(sdp_port "$T/1c.offer.sdp")" plain
fi

[ "$FAILURES" -eq 0 ] || dump_phones sdes plain sdesopt
for n in sdes plain sdesopt; do quit_phone "$n"; done
rtcb_stop

# =============================================================================
# 2. [media] anchor = auto: DTLS-SRTP + ICE callers (WebRTC on UDP), plain callee
# =============================================================================
media_config auto
rtcb_start
PHONE_ADDR=$ICE_HOST PHONE_OPTS=-v PHONE_CONFIG="rtcp_mux yes" \
	phone dtls 1004 25406 25423 25472-25481 "$TONE_A" ";mediaenc=dtls_srtp;medianat=ice" dtls_srtp ice
PHONE_ADDR=$ICE_HOST PHONE_OPTS=-v \
	phone dtlsnomux 1005 25410 25425 25482-25489 "$TONE_A" ";mediaenc=dtls_srtp;medianat=ice" dtls_srtp ice
phone plain2 1002 25408 25424 25490-25499 "$TONE_B" ""
check "phones registered (1004, 1005 DTLS-SRTP + ICE, 1002 plain)" registered 1004 1005 1002 ||
	fail "phones did not register"
check "phones' ctrl_tcp connected" ctrl_ready dtls dtlsnomux plain2 || fail "no ctrl connection to the phones"

# dtls_checks LABEL NAME CALL_ID: a DTLS-SRTP + ICE caller's call to
# plain2, once it is over.
dtls_checks() {
	local label=$1 name=$2 cid=$3 user=${PHONE_USER[$2]}
	save_sdps "$label" "$name" plain2 "$cid"
	check "$label: 1002 got RTP/AVP without ICE, DTLS or a=crypto, from the relay" \
		sdp_check "$T/$label.offer.sdp" proto=RTP/AVP crypto=0 none='^a=(fingerprint|setup|ice-|candidate)' relay
	check "$label: $user got UDP/TLS/RTP/SAVPF with a=ice-lite, a=fingerprint sha-256, a=setup:passive, a host candidate on the relay" \
		sdp_check "$T/$label.answer.sdp" 'proto=UDP/TLS/RTP/SAVPF?' has='^a=ice-lite' has='^a=fingerprint:sha-256 ' \
		has='^a=setup:passive' relay cand1
	check "$label: $user's ICE connectivity checks completed" log_has "$name" 'ice: audio: connectivity check is complete'
	check "$label: $user took rtcbridge for an ICE agent" log_lacks "$name" 'ICE not supported by peer|connectivity check failed|no remote candidates found'
	check "$label: $user verified rtcbridge's fingerprint" log_has "$name" 'dtls_srtp: verified sha-256 fingerprint OK'
	check "$label: $user's DTLS-SRTP complete" log_has "$name" 'DTLS-SRTP complete'
	check "$label: $user reports media encryption on (CALL_MENC)" menc_is "$name" "$cid" '.'
	check "$label: DTLS, STUN and SRTP on the wire between $user and the relay" \
		wire "$label" "$(sdp_port "$T/$label.answer.sdp")" dtls
	check "$label: plain RTP on the wire between the relay and 1002" \
		wire "$label" "$(sdp_port "$T/$label.offer.sdp")" plain
}

# same_security FIRST LAST: two answers to the same leg carry the same ICE
# credentials, fingerprint and port (a re-INVITE keeps DTLS up).
same_security() {
	local a b
	a=$(grep -E '^(a=ice-ufrag|a=ice-pwd|a=fingerprint|m=audio)' "$1")
	b=$(grep -E '^(a=ice-ufrag|a=ice-pwd|a=fingerprint|m=audio)' "$2")
	if [ -z "$a" ] || [ "$a" != "$b" ]; then
		log "first answer: $a / re-INVITE's answer: $b"
		return 1
	fi
}

# 2a. with rtcp-mux, as a browser offers
if call 2a "DTLS+ICE (rtcp-mux) to plain" dtls plain2 "$TONE_A" "$TONE_B" || [ -n "$CALL_ID" ]; then
	dtls_checks 2a dtls "$CALL_ID"
	check "2a: the answer to 1004 has a=rtcp-mux (1004 offered it)" sdp_check "$T/2a.answer.sdp" has='^a=rtcp-mux'
	# baresip re-INVITEs once ICE picked a pair other than its default
	sdp_of dtls 200 "$CALL_ID" last >"$T/2a.answer2.sdp"
	if ! cmp -s "$T/2a.answer.sdp" "$T/2a.answer2.sdp"; then
		check "2a: 1004's re-INVITE answered with the same ICE credentials, fingerprint and relay port" \
			same_security "$T/2a.answer.sdp" "$T/2a.answer2.sdp"
	fi
fi

# 2b. without rtcp-mux (two ICE components): RFC 8035 (updating RFC 5761
# 5.1.1): an answer holds a=rtcp-mux only when the offer did
if call 2b "DTLS+ICE (no rtcp-mux) to plain" dtlsnomux plain2 "$TONE_A" "$TONE_B" || [ -n "$CALL_ID" ]; then
	dtls_checks 2b dtlsnomux "$CALL_ID"
	check "2b: no a=rtcp-mux in the answer to 1005 (its offer had none; RFC 8035)" \
		sdp_check "$T/2b.answer.sdp" none='^a=rtcp-mux'
	check "2b: the answer to 1005 has an ICE candidate for component 2 (RTCP) at its RTCP address" \
		sdp_check "$T/2b.answer.sdp" cand2
fi

[ "$FAILURES" -eq 0 ] || dump_phones dtls dtlsnomux plain2
for n in dtls dtlsnomux plain2; do quit_phone "$n"; done
check "daemon alive after the calls" rtcb_alive
rtcb_finish
