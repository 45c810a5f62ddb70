#!/usr/bin/env bash
# web/build.sh - build the browser phone into web/dist/, the web root that
# rtcbridge serves at "/" (set [http] web_root to this directory).
#
#   bash web/build.sh          # npm ci when needed, then build dist/
#
# Runs `npm ci` (exact versions from package-lock.json, dev dependencies
# included: the browser tests need playwright-core, jssip and esbuild) when
# node_modules is missing or older than package-lock.json. Then:
#   dist/index.html, style.css            copied from src/
#   dist/app.js (+ .map)                  the phone: src/app.js and the modules
#                                         it imports, bundled by esbuild into
#                                         one ES module (not minified; the map
#                                         leads back to the files in src/).
#                                         `import ... from "sip.js"` in src/
#                                         becomes "./vendor/sip.js": SIP.js
#                                         stays its own file, cached apart
#   dist/vendor/sip.js (+ .map)           SIP.js (node_modules/sip.js/lib, ES
#                                         modules) bundled and minified by
#                                         esbuild into one ES module: one
#                                         request of ~230 kB instead of ~250
#   dist/vendor/sip.js.LICENSE.md         its licence (MIT)
# dist/ is built beside and swapped in whole, so a daemon serving it never sees
# half a build. Needs node >= 18 and npm; nothing else.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

command -v node >/dev/null || { echo "web/build.sh: node is missing (apt-get install nodejs npm)" >&2; exit 1; }
command -v npm >/dev/null || { echo "web/build.sh: npm is missing (apt-get install npm)" >&2; exit 1; }

# npm writes node_modules/.package-lock.json at every install: compare with it.
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
	echo "web/build.sh: npm ci"
	npm ci --include=dev --no-audit --no-fund --loglevel=error
	touch "$stamp"
fi

tmp=$(mktemp -d "$here/.dist.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/vendor"
cp src/index.html src/style.css "$tmp/"
cp node_modules/sip.js/LICENSE.md "$tmp/vendor/sip.js.LICENSE.md"

node --input-type=module - "$tmp" <<'JS'
import { build } from "esbuild";
import { readFileSync } from "node:fs";
const out = process.argv[2];
const version = JSON.parse(readFileSync("node_modules/sip.js/package.json", "utf8")).version;
const common = {
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["es2020"],
  sourcemap: "linked",
  logLevel: "warning",
};
// The app imports SIP.js by its package name; in dist/ it is the vendor file.
const sipjsIsVendor = {
  name: "sip.js-is-vendor",
  setup(b) {
    b.onResolve({ filter: /^sip\.js$/ }, () => ({ path: "./vendor/sip.js", external: true }));
  },
};
await build({
  ...common,
  entryPoints: ["src/app.js"],
  outfile: `${out}/app.js`,
  plugins: [sipjsIsVendor],
  banner: { js: "/* rtcbridge phone, bundled from web/src by web/build.sh */" },
});
await build({
  ...common,
  entryPoints: ["node_modules/sip.js/lib/index.js"],
  outfile: `${out}/vendor/sip.js`,
  minify: true,
  legalComments: "inline",
  banner: { js: `/* SIP.js ${version} (MIT, see sip.js.LICENSE.md), bundled for rtcbridge by web/build.sh */` },
});
JS

chmod -R a+rX "$tmp"
rm -rf dist
mv "$tmp" dist
trap - EXIT
echo "web/build.sh: built $here/dist ($(find dist -type f | wc -l) files, SIP.js $(node -p 'require("./node_modules/sip.js/package.json").version'))"
