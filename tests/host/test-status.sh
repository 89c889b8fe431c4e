#!/bin/bash
# status: what a person at a rescue shell, or a script with --json, learns
# about each volume: device, key that opens it, and why not.
# shellcheck disable=SC2119 # unlock takes optional arguments
set -euo pipefail
# shellcheck source=tests/host/lib.sh
. "$(dirname "$0")/lib.sh"
setup
command -v jq >/dev/null || fail "jq is not installed (tools/install-deps)"

BASE=LinuxPassPhraseFileName
make_key "$WORK/keys/$BASE"
make_key "$WORK/other.key"
FP=$(fingerprint "$WORK/keys/$BASE")
luks_volume good luks2 "$WORK/keys/$BASE"
GOOD_UUID=$UUID
GOOD_LOOP=$LOOP
luks_volume locked luks1 "$WORK/other.key"
LOCKED_UUID=$UUID
LOCKED_LOOP=$LOOP
GONE_UUID=$(new_uuid)

# Run status; its standard output in $JSON_FILE, the log in $OUT.
status() { # [more arguments...]
    RC=0
    OUT=$("$UNLOCK" status --key-dir "$WORK/keys" --config "$WORK/crypttab" \
        --cmdline "$WORK/cmdline" "$@" 2>&1 >"$WORK/status.out") || RC=$?
    indent <"$WORK/status.out"
    if [ -n "$OUT" ]; then
        indent <<<"$OUT"
    fi
}

# Check one field of the JSON document: jq FILTER must print VALUE.
field() { # FILTER VALUE
    local got
    got=$(jq -c "$1" "$WORK/status.out") || fail "status --json is not valid JSON"
    [ "$got" = "$2" ] || fail "$1 is $got, expected $2"
}

step "1. every volume opens: exit 0, the key and its fingerprint"
printf 'osencrypt UUID=%s bek root\n' "$GOOD_UUID" >"$WORK/crypttab"
status --json
expect_exit 0 "status of an openable root"
field '.volumes | length' 1
field '.volumes[0].name' '"osencrypt"'
field '.volumes[0].device' "\"UUID=$GOOD_UUID\""
field '.volumes[0].path' "\"$GOOD_LOOP\""
field '.volumes[0].root' true
field '.volumes[0].present' true
field '.volumes[0].active' false
field '.volumes[0].key' "\"$BASE\""
field '.volumes[0].key_fingerprint' "\"$FP\""
field '.volumes[0].state' '"openable"'
field '.key_volume_label' '"BEK VOLUME"'
field '.key_volumes' '[]'

step "2. one opens, one has no key that opens it, one is absent"
printf 'good UUID=%s bek\nlocked UUID=%s bek\ngone UUID=%s bek nofail\n' \
    "$GOOD_UUID" "$LOCKED_UUID" "$GONE_UUID" >"$WORK/crypttab"
echo 'quiet "rd.bekboot.label=MY KEYS"' >"$WORK/cmdline"
status --json
expect_exit 6 "status with a volume that no key opens"
field '[.volumes[].name]' '["good","locked","gone"]'
field '[.volumes[].state]' '["openable","no key file opens it","its device is not present"]'
field '[.volumes[].present]' '[true,true,false]'
field '[.volumes[].nofail]' '[false,false,true]'
field '.volumes[1].path' "\"$LOCKED_LOOP\""
field '.volumes[1].key' null
field '.volumes[2].path' null
field '.key_volume_label' '"MY KEYS"'

step "3. the same as text, with whole fingerprints"
status
expect_exit 6 "text status"
grep -qE "^good +data +UUID=$GOOD_UUID -> $GOOD_LOOP +$FP +openable$" "$WORK/status.out" ||
    fail "the line of volume good is not as expected"
grep -qE "^locked .* no key file opens it$" "$WORK/status.out" ||
    fail "the line of volume locked is not as expected"
grep -qE "^gone +data +UUID=$GONE_UUID \(absent\) .* its device is not present$" \
    "$WORK/status.out" || fail "the line of volume gone is not as expected"
grep -qF "key file $BASE on $WORK/keys" "$WORK/status.out" || fail "the key file is not named"

step "4. an absent volume that is needed decides the exit status"
printf 'gone UUID=%s bek\n' "$GONE_UUID" >"$WORK/crypttab"
status --json
expect_exit 7 "status with an absent volume"
field '.volumes[0].state' '"its device is not present"'

step "5. a volume whose encryption has begun opens and shows how far it is"
truncate -s 64M "$WORK/half.img"
mkfs.ext4 -q -F "$WORK/half.img" 48M
cryptsetup reencrypt -q --encrypt --type luks2 --reduce-device-size 16M \
    --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file "$WORK/keys/$BASE" \
    --init-only "$WORK/half.img" || fail "cryptsetup reencrypt --init-only failed"
# Initialised, not run: the header says the encryption is under way, at 0 %.
attach "$WORK/half.img"
HALF_UUID=$(blkid -s UUID -o value "$LOOP")
printf 'half UUID=%s bek root\n' "$HALF_UUID" >"$WORK/crypttab"
echo quiet >"$WORK/cmdline"
status --json
expect_exit 0 "status of a volume being encrypted"
field '.volumes[0].reencrypting' true
field '.volumes[0].state' '"openable"'
PERCENT=$(jq '.volumes[0].reencrypt_percent' "$WORK/status.out")
[ "$PERCENT" = 0 ] || fail "reencrypt_percent is $PERCENT, expected 0"
unlock
expect_exit 0 "--test on a volume being encrypted"
expect_output "(reencryption in progress)"

step "6. which volumes a key file given by hand opens"
printf 'good UUID=%s bek\nlocked UUID=%s bek\n' "$GOOD_UUID" "$LOCKED_UUID" >"$WORK/crypttab"
RC=0
"$UNLOCK" status --json --key-file "$WORK/other.key" --config "$WORK/crypttab" \
    --cmdline "$WORK/cmdline" >"$WORK/status.out" 2>"$WORK/status.err" || RC=$?
indent <"$WORK/status.out"
expect_exit 6 "status with a key file that opens only one volume"
field '[.volumes[].state]' '["no key file opens it","openable"]'
field '.volumes[1].key' "\"$WORK/other.key\""
field '.key_volumes' '[]'
