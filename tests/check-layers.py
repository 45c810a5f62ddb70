#!/usr/bin/env python3
"""check-layers.py - no source file includes from a layer above its own.

The folders of src/ from the bottom up (README.md, Layout): a file in one
folder may include its own folder's headers and those of the folders
before it in LAYERS, never one after it. A folder missing from the list is
an error too, so a new part gets its place here. Prints every offending
include and exits 1, or one line and 0.
"""
import os
import re
import sys

# codec/, presence/ and pbx/ do not exist yet: their places are kept for
# the media coder, presence and PBX issues (ARCHITECTURE.md).
LAYERS = ["core", "http", "sip", "sdp", "rtp", "ice", "srtp", "dtls", "codec", "media", "session",
          "ng", "store", "service", "registrar", "presence", "proxy", "pbx", "app"]


def main():
    top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
    rank = {name: i for i, name in enumerate(LAYERS)}
    bad = []
    files = 0
    for area in sorted(os.listdir(top)):
        if area not in rank:
            bad.append("src/%s/: a folder with no place in LAYERS (tests/check-layers.py)" % area)
            continue
        for name in sorted(os.listdir(os.path.join(top, area))):
            if not name.endswith((".c", ".h")):
                continue
            files += 1
            path = os.path.join(top, area, name)
            with open(path, encoding="utf-8") as f:
                for lineno, line in enumerate(f, 1):
                    m = re.match(r'\s*#\s*include\s+"(\w+)/', line)
                    if not m:
                        continue
                    other = m.group(1)
                    if other not in rank or rank[other] > rank[area]:
                        bad.append("src/%s/%s:%d includes %s/ (a layer above %s/)"
                                   % (area, name, lineno, other, area))
    for line in bad:
        print(line)
    if bad:
        print("check-layers: %d include(s) against the layering" % len(bad))
        return 1
    print("check-layers: %d files, no include from a layer above" % files)
    return 0


sys.exit(main())
