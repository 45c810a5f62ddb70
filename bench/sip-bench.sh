#!/usr/bin/env bash
# SIP benchmark: rtcbridge against Kamailio under the same SIPp loads on
# 127.0.0.1 (REGISTER with digest auth for 20,000 users; authenticated calls
# through the proxy with Record-Route to a registered SIPp UAS).
#
#   bash bench/sip-bench.sh                      # both servers, all phases
#   bash bench/sip-bench.sh --servers kamailio   # one server
#   bash bench/sip-bench.sh --help               # every option (bench/sipbench.py)
#
# Installs Kamailio (+ SQLite modules) and SIPp with apt-get when missing,
# builds nothing: run `make` first for rtcbridge. Not part of `make test`.
# See bench/README.md for what is measured and how to read the output.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

need=()
command -v sipp >/dev/null 2>&1 || need+=(sip-tester)
[ -x /usr/sbin/kamailio ] || command -v kamailio >/dev/null 2>&1 || need+=(kamailio)
[ -e /usr/lib/x86_64-linux-gnu/kamailio/modules/db_sqlite.so ] ||
	ls /usr/lib/*/kamailio/modules/db_sqlite.so >/dev/null 2>&1 || need+=(kamailio-sqlite-modules)
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v taskset >/dev/null 2>&1 || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
	echo "installing: ${need[*]}"
	sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "${need[@]}"
fi

# Kamailio must be able to parse the config before anything runs.
if ! out=$(kamailio -c -f "$here/kamailio.cfg" 2>&1); then
	echo "$out" >&2
	echo "bench/kamailio.cfg does not pass kamailio -c" >&2
	exit 1
fi

# Ports the benchmark uses must be free (a leftover run would skew it).
for port in 35060 36060 37061 37062 37070; do
	if ss -Hlun "sport = :$port" 2>/dev/null | grep -q .; then
		echo "udp port $port is in use: stop what holds it (ss -lunp 'sport = :$port')" >&2
		exit 1
	fi
done

# The whole run is bounded: each SIPp run has its own time limit, and this
# is the backstop.
exec timeout -k 30 3600 python3 "$here/sipbench.py" "$@"
