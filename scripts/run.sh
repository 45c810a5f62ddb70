#!/usr/bin/env bash
# run.sh - start rtcbridge with working defaults (used by `make run`).
#
# State (SQLite database, generated TLS certificate) lives in
# RTCBRIDGE_STATE_DIR, default /var/lib/rtcbridge. On the first start, when
# the database holds no users, demo extensions 1001-1003 are created with
# random passwords that are printed once, here, with the web phone's URL
# (passwords are stored only as HA1 hashes, so later starts cannot show
# them again; they print the URL and how to set a new password). Set RTCBRIDGE_CONFIG to a
# config file to pass it with -c. Extra arguments go to rtcbridge as they are.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
state_dir=${RTCBRIDGE_STATE_DIR:-/var/lib/rtcbridge}
daemon=$build/rtcbridge
ctl=$build/rtcbridge-ctl

for bin in "$daemon" "$ctl"; do
	if [ ! -x "$bin" ]; then
		echo "run.sh: $bin is missing: run 'make' first" >&2
		exit 1
	fi
done

mkdir -p "$state_dir"
args=(--state-dir "$state_dir")
if [ -n "${RTCBRIDGE_CONFIG:-}" ]; then
	args=(-c "$RTCBRIDGE_CONFIG" "${args[@]}")
fi

# 12 random alphanumeric characters.
random_password() {
	local pw
	pw=$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 12) || true
	printf '%s' "$pw"
}

# The value of KEY in [SECTION] of the config file, if set there.
config_value() {
	local section=$1 key=$2
	[ -n "${RTCBRIDGE_CONFIG:-}" ] && [ -r "$RTCBRIDGE_CONFIG" ] || return 0
	awk -v want_section="$section" -v want_key="$key" '
		/^[ \t]*[;#]/ { next }
		/^[ \t]*\[/ { gsub(/[][ \t]/, ""); section = $0; next }
		section == want_section {
			split($0, kv, "=")
			k = kv[1]; gsub(/[ \t]/, "", k)
			if (k == want_key) { v = substr($0, index($0, "=") + 1); gsub(/^[ \t]+|[ \t\r]+$/, "", v); print v; exit }
		}' "$RTCBRIDGE_CONFIG"
}

udp_port=$(config_value sip udp_port); udp_port=${udp_port:-5060}
tcp_port=$(config_value sip tcp_port); tcp_port=${tcp_port:-5060}
tls_port=$(config_value sip tls_port); tls_port=${tls_port:-5061}
https_port=$(config_value http https_port); https_port=${https_port:-8443}
server=$(config_value sip advertised_address)
if [ -z "$server" ]; then
	server=$(hostname -I 2>/dev/null | awk '{print $1}')
	server=${server:-127.0.0.1}
fi
web_urls="https://localhost:$https_port/"
[ "$server" != 127.0.0.1 ] && web_urls="$web_urls  or  https://$server:$https_port/"

# `user list` prints one name a line, then a count ("0 users").
users=$("$ctl" --state-dir "$state_dir" user list | grep -Ev '^[0-9]+ users?$' || true)
if [ -z "$users" ]; then
	echo "================================================================"
	echo " First start: created demo extensions (passwords shown only now)"
	echo
	for ext in 1001 1002 1003; do
		pw=$(random_password)
		"$ctl" --state-dir "$state_dir" user add "$ext" "$pw" >/dev/null
		printf '   user %s   password %s\n' "$ext" "$pw"
	done
	echo
	echo " Web phone:  $web_urls"
	echo "   (self-signed certificate: accept the browser's warning once)"
	echo "   Log in as 1001 in one tab and 1002 in another, then call 1002."
	echo
	echo " Or register a SIP phone with:"
	echo "   server/domain  $server  (or this machine's name, or 127.0.0.1 locally)"
	echo "   UDP and TCP    port $udp_port / $tcp_port"
	echo "   TLS            port $tls_port"
	echo "   username       1003 (auth user = username), the password above"
	echo " Then dial another extension: a browser (1001) and a SIP phone (1003)"
	echo " talk through rtcbridge's media relay (UDP ports 20000-30000)."
	echo " Manage users:   $ctl --state-dir $state_dir user add NAME PASSWORD"
	echo " Live calls:     $ctl --state-dir $state_dir calls"
	echo "================================================================"
else
	echo "================================================================"
	echo " Web phone:  $web_urls"
	echo " SIP:        $server  UDP/TCP $udp_port, TLS $tls_port"
	echo " Users: $(printf '%s' "$users" | tr '\n' ' ')"
	echo " Passwords are stored only as hashes; they were printed at the first start."
	echo " Set a new one:  $ctl --state-dir $state_dir user add 1001 NEWPASSWORD"
	echo " Live calls:     $ctl --state-dir $state_dir calls"
	echo "================================================================"
fi

exec "$daemon" "${args[@]}" "$@"
