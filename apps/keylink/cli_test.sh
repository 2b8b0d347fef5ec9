#!/usr/bin/env bash
# The CLI end to end: a URI that `keylink uri new` makes, `keylink uri parse` accepts; a damaged or
# foreign one it refuses with exit code 2 and a message.
set -euo pipefail
keylink=$1

uri=$("$keylink" uri new --no-qr --methods keylink_link | head -n 1)
[[ $uri == wc:*@2\?* ]] || { echo "uri new printed '$uri'"; exit 1; }
"$keylink" uri parse "$uri" --json | grep -q '"keylink_link"'
"$keylink" uri new | grep -q $'\u2588'   # the QR code

damaged=${uri/symKey=0/symKey=1}
[[ $damaged != "$uri" ]] || damaged=${uri/symKey=/symKey=0}
for bad in "$damaged" "https://example.com" "wc:00@1?key=1"; do
  if "$keylink" uri parse "$bad" 2>err.txt; then echo "accepted '$bad'"; exit 1; fi
  grep -q "keylink: " err.txt
done
rm -f err.txt
echo "cli: 1 passed, 0 failed"
