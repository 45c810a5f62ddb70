#!/usr/bin/env bash
# tests/browser/install.sh - install what the browser tests need, and nothing
# when it is all there (so `make test` stays quick after the first run):
#
#   - Debian's chromium (+ fonts for readable screenshots), and node/npm if
#     missing; `apt-get update` runs first only when something is missing;
#   - web/build.sh: `npm ci` when web/node_modules is missing or older than
#     web/package-lock.json (sip.js, playwright-core, jssip, esbuild), then
#     web/dist/, the web root the daemon serves.
#
# Needs root (or sudo) for apt-get and the npm registry for npm ci: run it
# before entering the tests' private network namespace (run.sh does).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

packages=(chromium fonts-liberation fonts-dejavu-core)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for pkg in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	[ "$status" = installed ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "browser/install.sh: installing ${missing[*]}"
	SUDO=()
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null 2>&1 || { echo "browser/install.sh: need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
		SUDO=(sudo)
	fi
	export DEBIAN_FRONTEND=noninteractive
	"${SUDO[@]}" apt-get update
	"${SUDO[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi

[ -x /usr/bin/chromium ] || { echo "browser/install.sh: /usr/bin/chromium is missing after the install" >&2; exit 1; }
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
	echo "browser/install.sh: node $(node --version) is too old; playwright-core needs node >= 20" >&2
	exit 1
fi

bash "$top/web/build.sh"
