#!/bin/bash
# generate: ADE's key format, fresh randomness, safe output files.
# shellcheck source=tests/keyvol/lib.sh
. "$(dirname "$0")/lib.sh"
need base64 od

step "1. a key on standard output is 172 base64 characters without newline"
"$KEYVOL" generate >key1 2>log || fail "generate failed: $(cat log)"
[ "$(wc -c <key1)" -eq 172 ] || fail "the key is $(wc -c <key1) bytes, not 172"
LC_ALL=C grep -q '^[A-Za-z0-9+/]*=*$' key1 || fail "the key has characters outside base64"
[ "$(tail -c 1 key1 | od -An -c | tr -d ' ')" != '\n' ] || fail "the key ends with a newline"

step "2. it decodes to 127 bytes"
[ "$(base64 -d <key1 | wc -c)" -eq 127 ] || fail "the key does not decode to 127 bytes"

step "3. two runs differ"
"$KEYVOL" generate >key2 2>/dev/null || fail "the second generate failed"
! cmp -s key1 key2 || fail "two generated keys are the same"

step "4. --out writes mode 0400 and never shows the key"
"$KEYVOL" generate --out key3 >out 2>log || fail "generate --out failed: $(cat log)"
[ "$(stat -c %a key3)" = 400 ] || fail "key3 has mode $(stat -c %a key3), not 400"
[ ! -s out ] || fail "generate --out printed something on standard output"
! grep -qF "$(cat key3)" log || fail "the key appears in the log"
grep -q "fingerprint [0-9a-f]\{16\}" log || fail "no fingerprint in the log: $(cat log)"

step "5. an existing file is kept unless --force"
cp key3 key3.before
"$KEYVOL" generate --out key3 2>log && fail "generate overwrote key3 without --force"
grep -q "Refusing to overwrite key3" log || fail "unclear message: $(cat log)"
cmp -s key3 key3.before || fail "key3 changed although generate refused"
"$KEYVOL" generate --out key3 --force 2>/dev/null || fail "generate --force failed"
! cmp -s key3 key3.before || fail "--force did not replace key3"

step "6. --help and bad usage"
"$KEYVOL" generate --help | grep -q "^Usage: bekboot-keyvol generate" || fail "no usage text"
"$KEYVOL" generate extra 2>/dev/null
[ $? -eq 2 ] || fail "an unexpected argument does not exit with 2"
echo "all steps passed"
