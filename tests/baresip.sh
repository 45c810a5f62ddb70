# tests/baresip.sh - the baresip configuration the tests' SIP phones share
# (sourced, not run). tests/integration/lib.sh sources it, so every
# integration test has it (test_baresip.sh, test_baresip_srtp.sh);
# tests/browser/run.sh sources it for gateway.test.mjs's phone.
#
# The phone this makes: no sound card (it sends a sine from ausine, 48 kHz
# stereo, the only format ausine makes; it plays into aubridge, i.e.
# nowhere), records what it decodes (sndfile) into a directory, G.711 only,
# driven through ctrl_tcp, at most 2 calls, no status line. Each test still
# writes its own `accounts` file next to `config` (the account line differs).
#
# baresip also binds TCP on the SIP port and TLS on the port after it: keep
# the SIP ports of the phones 2 apart.
# shellcheck shell=bash

# baresip_config [OPTION]... DIR SIP_LISTEN NET_INTERFACE CTRL_LISTEN RTP_PORTS TONE_HZ REC_DIR [MODULE]...
# Writes DIR/config (making DIR and REC_DIR): SIP on SIP_LISTEN (host:port),
# media from NET_INTERFACE (an address), ctrl_tcp on CTRL_LISTEN
# (host:port), RTP and RTCP in RTP_PORTS (min-max), ausine at TONE_HZ,
# recordings in REC_DIR; each MODULE (a name: srtp, ice...) loaded too.
# Options:
#   --rtp-stats    rtp_stats yes (RTP statistics in the log at hang-up)
#   --line LINES   extra config lines, written as they are after the
#                  always-loaded modules, before the MODULEs (repeatable; an
#                  empty one is skipped)
baresip_config() {
	local stats=0 lines=() l m
	while [ $# -gt 0 ]; do
		case $1 in
		--rtp-stats) stats=1 ;;
		--line) lines+=("$2"); shift ;;
		--) shift; break ;;
		-*) echo "baresip_config: unknown option $1" >&2; return 2 ;;
		*) break ;;
		esac
		shift
	done
	if [ $# -lt 7 ]; then
		echo "baresip_config: needs DIR SIP_LISTEN NET_INTERFACE CTRL_LISTEN RTP_PORTS TONE_HZ REC_DIR [MODULE]..." >&2
		return 2
	fi
	local dir=$1 sip=$2 netif=$3 ctrl=$4 rtp=$5 tone=$6 rec=$7
	shift 7
	mkdir -p "$dir" "$rec" || return 1
	{
		cat <<CFG
poll_method		epoll
sip_listen		$sip
net_interface		$netif
call_local_timeout	20
call_max_calls		2
audio_player		aubridge,nil
audio_alert		aubridge,nil
audio_source		ausine,$tone
ausrc_srate		48000
ausrc_channels		2
audio_level		no
rtp_ports		$rtp
CFG
		[ "$stats" = 0 ] || printf 'rtp_stats\t\tyes\n'
		cat <<CFG
module_path		/usr/lib/baresip/modules
module			g711.so
module			ausine.so
module			aubridge.so
module			sndfile.so
CFG
		for l in "${lines[@]}"; do
			[ -z "$l" ] || printf '%s\n' "$l"
		done
		for m in "$@"; do
			printf 'module\t\t\t%s.so\n' "$m"
		done
		cat <<CFG
module_tmp		account.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		$ctrl
snd_path		$rec
statmode_default	off
CFG
	} >"$dir/config"
}
