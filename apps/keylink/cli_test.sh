#!/usr/bin/env bash
# The CLI end to end: a URI that `keylink uri new` makes, `keylink uri parse` accepts; a damaged or
# foreign one it refuses with exit code 2 and a message.
set -euo pipefail
keylink=$1

uri=$("$keylink" uri new --no-qr --methods keylink_link | head -n 1)
[[ $uri == wc:*@2\?* ]] || { echo "uri new printed '$uri'"; exit 1; }
# Output is captured before it is searched: `grep -q` closing the pipe early would fail the pipeline.
parsed=$("$keylink" uri parse "$uri" --json)
[[ $parsed == *'"keylink_link"'* ]] || { echo "uri parse printed '$parsed'"; exit 1; }
# The QR code is drawn with what the terminal can show, whatever locale this test runs in: half blocks
# (U+2588 is e2 96 88 in UTF-8) where the locale is UTF-8, reverse-video ASCII spaces where there is none.
shown=$(env -u LC_ALL -u LC_CTYPE LANG=C.UTF-8 "$keylink" uri new)
[[ $shown == *$'\xe2\x96\x88'* ]] || { echo "uri new showed no QR code in half blocks under LANG=C.UTF-8"; exit 1; }
for locale in "" C POSIX; do
  shown=$(env -u LC_ALL -u LC_CTYPE LANG="$locale" "$keylink" uri new)
  [[ $shown == *$'\e[7m  '* ]] || { echo "uri new showed no QR code in reverse video under LANG='$locale'"; exit 1; }
  non_ascii=$(printf '%s' "$shown" | LC_ALL=C tr -d '\000-\177' | wc -c)
  ((non_ascii == 0)) || { echo "uri new printed $non_ascii non-ASCII bytes under LANG='$locale'"; exit 1; }
done

damaged=${uri/symKey=0/symKey=1}
[[ $damaged != "$uri" ]] || damaged=${uri/symKey=/symKey=0}
for bad in "$damaged" "https://example.com" "wc:00@1?key=1"; do
  if error=$("$keylink" uri parse "$bad" 2>&1); then echo "accepted '$bad'"; exit 1; fi
  [[ $error == "keylink: "* ]] || { echo "no error message for '$bad': '$error'"; exit 1; }
done
# An account restored from Hardhat's well-known phrase has Hardhat's first address; a second one is refused.
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
export KEYLINK_PASSPHRASE=cli-test
echo "test test test test test test test test test test test junk" | "$keylink" --home "$home" account restore 2>/dev/null
shown=$("$keylink" --home "$home" account show --json)
[[ $shown == *'"address":"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"'* ]] || { echo "account show printed '$shown'"; exit 1; }
if error=$("$keylink" --home "$home" account create 2>&1); then echo "a second account was made"; exit 1; fi
[[ $error == *"has an account already"* ]] || { echo "no clear error for a second account: '$error'"; exit 1; }
# A mistyped word of a recovery phrase is not echoed back (it is most of the real word).
other=$(mktemp -d)
trap 'rm -rf "$home" "$other"' EXIT
if error=$(echo "test test test test test test test test test test tesq junk" |
           "$keylink" --home "$other" account restore 2>&1); then echo "a bad phrase was accepted"; exit 1; fi
[[ $error == *"word 11 is not in the BIP39"* ]] || { echo "no clear error for a bad word: '$error'"; exit 1; }
[[ $error != *tesq* ]] || { echo "the mistyped word was echoed: '$error'"; exit 1; }

# An empty KEYLINK_PASSPHRASE is refused, and makes no home.
if error=$(KEYLINK_PASSPHRASE= "$keylink" --home "$other/new" account show 2>&1); then
  echo "an empty passphrase was accepted"; exit 1
fi
[[ $error == *"KEYLINK_PASSPHRASE is empty"* ]] || { echo "no clear error for an empty passphrase: '$error'"; exit 1; }
[[ ! -e $other/new/keylink.db ]] || { echo "an empty passphrase made a home"; exit 1; }

# `-` reads a URI from stdin, so that it stays out of argv.
parsed=$(echo "$uri" | "$keylink" uri parse - --json)
[[ $parsed == *'"keylink_link"'* ]] || { echo "uri parse - printed '$parsed'"; exit 1; }

# What a URI carries is shown escaped.
hostile="${uri}&kl-x=%1B%5B2J%E2%80%AE"
shown=$("$keylink" uri parse "$hostile" 2>&1 || true)
[[ $shown != *$'\e'* && $shown != *$'\u202e'* ]] || { echo "uri parse printed raw controls: '$shown'"; exit 1; }
# A parameter that is not UTF-8 is shown, in text and in JSON, instead of aborting the program.
"$keylink" uri parse "${uri}&kl-x=%FF" >/dev/null || { echo "uri parse failed on a non-UTF-8 parameter"; exit 1; }
"$keylink" uri parse "${uri}&kl-x=%FF" --json >/dev/null || { echo "uri parse --json failed on a non-UTF-8 parameter"; exit 1; }
echo "cli: 6 passed, 0 failed"
