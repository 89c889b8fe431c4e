#!/bin/bash
# Key files against a LUKS2 volume on a loop device: rotation, wrong keys,
# keys used verbatim, and the files that the unlocker refuses to read.
# shellcheck disable=SC2119 # unlock takes optional arguments
set -euo pipefail
# shellcheck source=tests/host/lib.sh
. "$(dirname "$0")/lib.sh"
setup

BASE=LinuxPassPhraseFileName
KEYS="$WORK/keys"
make_key "$WORK/right.key"
make_key "$WORK/wrong.key"
luks_volume vol luks2 "$WORK/right.key"
VOL_UUID=$UUID
VOL_LOOP=$LOOP

use_keys() { # NAME=FILE...
    local spec
    rm -rf "$KEYS"
    mkdir "$KEYS"
    for spec in "$@"; do
        cp "${spec#*=}" "$KEYS/${spec%%=*}"
    done
}

step "1. rotation: the base key is old, a newer file opens"
echo "vol UUID=$VOL_UUID bek" >"$WORK/crypttab"
use_keys "$BASE=$WORK/wrong.key" "$BASE.new=$WORK/right.key"
unlock --verbose
expect_exit 0 "old and new key files"
expect_output "Key $BASE ($(fingerprint "$WORK/wrong.key")) does not open volume vol"
expect_output "Key would open volume vol ($VOL_LOOP) with key $BASE.new [$(fingerprint "$WORK/right.key")]"

step "2. rotation: a data disk's own key is old, the base key opens"
echo "vol UUID=$VOL_UUID bek:${BASE}_0_1" >"$WORK/crypttab"
use_keys "${BASE}_0_1=$WORK/wrong.key" "$BASE=$WORK/right.key"
unlock
expect_exit 0 "old data disk key and base key"
expect_output "with key $BASE [$(fingerprint "$WORK/right.key")]"

step "3. the configured name is tried first"
make_key "$WORK/second.key"
cryptsetup luksAddKey --batch-mode --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
    --key-file "$WORK/right.key" "$WORK/vol.img" "$WORK/second.key" ||
    fail "luksAddKey failed"
echo "vol UUID=$VOL_UUID bek:custom.key" >"$WORK/crypttab"
use_keys "$BASE=$WORK/right.key" "custom.key=$WORK/second.key"
unlock
expect_exit 0 "two keys that both open"
expect_output "with key custom.key [$(fingerprint "$WORK/second.key")]"

step "4. a wrong key only"
echo "vol UUID=$VOL_UUID bek" >"$WORK/crypttab"
use_keys "$BASE=$WORK/wrong.key"
unlock
expect_exit 6 "wrong key"
expect_output "Cannot open data volume vol ($VOL_LOOP): no key file opens it."

step "5. no key file at all"
use_keys "unrelated.txt=$WORK/right.key"
unlock
expect_exit 5 "no key file"
expect_output "no usable key file $BASE (nor any *$BASE*) in key directory $KEYS"

step "6. a trailing newline that the keyslot does not have"
cp "$WORK/right.key" "$WORK/newline.key"
echo >>"$WORK/newline.key"
use_keys "$BASE=$WORK/newline.key"
unlock
expect_exit 6 "key with an added newline"
expect_output "no key file opens it"

step "7. a keyslot whose key ends in a newline opens with that key only"
luks_volume nl luks2 "$WORK/newline.key"
echo "nl UUID=$UUID bek" >"$WORK/crypttab"
unlock
expect_exit 0 "key with its newline"
use_keys "$BASE=$WORK/right.key"
unlock
expect_exit 6 "key without the newline of the keyslot"

step "8. a key file of 8 KiB is read, one byte more is refused"
head -c 8192 /dev/urandom >"$WORK/8k.key"
head -c 8193 /dev/urandom >"$WORK/big.key"
luks_volume big luks2 "$WORK/8k.key"
BIG_UUID=$UUID
cryptsetup luksAddKey --batch-mode --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
    --key-file "$WORK/8k.key" "$WORK/big.img" "$WORK/big.key" || fail "luksAddKey failed"
echo "big UUID=$BIG_UUID bek" >"$WORK/crypttab"
use_keys "$BASE=$WORK/8k.key"
unlock
expect_exit 0 "8192-byte key"
use_keys "$BASE=$WORK/big.key"
unlock
expect_exit 5 "8193-byte key"
expect_output "Refusing key file $BASE on $KEYS: it is larger than 8 KiB."

step "9. a symbolic link to the right key is refused"
echo "vol UUID=$VOL_UUID bek" >"$WORK/crypttab"
use_keys
ln -s "$WORK/right.key" "$KEYS/$BASE"
unlock
expect_exit 5 "symlinked key file"
expect_output "Refusing key file $BASE on $KEYS: it is a symbolic link."

step "10. a refused file does not hide a good one"
cp "$WORK/right.key" "$KEYS/$BASE.new"
unlock
expect_exit 0 "symlink beside a good key file"
expect_output "with key $BASE.new"

step "11. no key appears in the output"
for key in right wrong newline; do
    ! grep -qF -- "$(head -c 40 "$WORK/$key.key")" <<<"$OUT" || fail "$key.key appears in the output"
done
