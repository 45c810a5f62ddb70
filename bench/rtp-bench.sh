#!/usr/bin/env bash
# Media benchmark: rtcbridge's relay against rtpengine (userspace only), both
# driven over the ng protocol with the same SDPs by bench/rtpload (C), one
# after the other at each rung of a ladder, on 127.0.0.1. Scenario plain:
# plain RTP on both legs; scenario sdes: SDES-SRTP on one leg, plain RTP on
# the other.
#
#   bash bench/rtp-bench.sh                       # both relays, both scenarios (~10-25 minutes)
#   bash bench/rtp-bench.sh --scenarios sdes      # one scenario
#   bash bench/rtp-bench.sh --relays rtcbridge    # one relay
#   bash bench/rtp-bench.sh --help                # every option (bench/rtpbench.py)
#
# Installs rtpengine-daemon (and a C compiler, libsrtp2-dev, python3, taskset)
# with apt-get when missing, builds bench/rtpload with cc -O2 -lsrtp2 (not
# part of the Makefile),
# builds nothing else: run `make` first for rtcbridge. Not part of `make test`.
# See bench/README.md for what is measured and how to read the output.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

need=()
[ -x /usr/bin/rtpengine ] || need+=(rtpengine-daemon)
command -v cc >/dev/null 2>&1 || need+=(gcc libc6-dev)
[ -f /usr/include/srtp2/srtp.h ] || need+=(libsrtp2-dev)
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v taskset >/dev/null 2>&1 || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
	echo "installing: ${need[*]}"
	sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update
	# the package's service is not started by this script; rtpengine runs
	# in the foreground with its own options (bench/rtpbench.py)
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "${need[@]}"
fi

mkdir -p "$here/../build"
cc -O2 -Wall -o "$here/../build/rtpload" "$here/rtpload.c" -lsrtp2   # in build/: ignored by git

# ng ports (rtcbridge 38222, rtpengine 38223, rtcbridge's unused SIP 38060)
# must be free, and no other rtpengine may hold the relay port range.
for port in 38060 38222 38223; do
	if ss -Hlun "sport = :$port" 2>/dev/null | grep -q .; then
		echo "udp port $port is in use: stop what holds it (ss -lunp 'sport = :$port')" >&2
		exit 1
	fi
done

# Every rung is bounded inside the driver, which also refuses a ladder whose
# worst case passes --max-minutes (40); this is the backstop (45 min).
exec timeout -k 30 2700 python3 "$here/rtpbench.py" "$@"
