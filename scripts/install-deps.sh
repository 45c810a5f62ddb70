#!/usr/bin/env bash
# install-deps.sh - install every Debian package rtcbridge needs to build,
# run and test. Idempotent: when everything is present it does not touch apt
# at all, so `make run` and `make test` stay quick after the first time.
#
# Needs root (or sudo) on Debian 12. Nothing else is ever installed by hand:
# a package a script or test needs belongs in the list below.
set -euo pipefail

PACKAGES=(
	# build
	build-essential pkg-config clang
	libssl-dev libsqlite3-dev libinih-dev libcmocka-dev libsrtp2-dev
	# run and test
	openssl           # throwaway TLS certificates for test peers
	sip-tester        # SIPp
	baresip-core      # a real SIP phone as test peer
	kamailio          # test peer for the ng protocol (its rtpengine module)
	python3           # torture test, SIP helpers (stdlib only)
	iproute2 procps   # ss, ip, pgrep in tests
	coreutils         # timeout
	sox               # inspecting recorded audio by hand
	tshark            # the browser tests read a capture of a gateway call
	git               # tests find ../shared/testdata via the repository top
)

# The web phone is built with npm (web/build.sh). A machine that has Node.js
# from elsewhere keeps it; otherwise Debian's.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	PACKAGES+=(nodejs npm)
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	if [ "$status" != "installed" ]; then
		missing+=("$pkg")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#PACKAGES[@]} packages present"
	exit 0
fi

echo "install-deps: installing: ${missing[*]}"
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=(sudo)
	else
		echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2
		exit 1
	fi
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update
"${SUDO[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
