#!/bin/bash
# An argon2id keyslot whose key derivation needs more memory than the
# machine has is refused at once with a message saying so, instead of
# waking the OOM killer. The unlocker reads MemAvailable from /proc/meminfo;
# a private mount namespace shows it a small machine.
# shellcheck disable=SC2119 # unlock takes optional arguments
set -euo pipefail
# shellcheck source=tests/host/lib.sh
. "$(dirname "$0")/lib.sh"
setup
command -v unshare >/dev/null || fail "unshare is not installed (util-linux)"

KEY="$WORK/keys/LinuxPassPhraseFileName"
make_key "$KEY"
luks_volume argon luks2 "$KEY" --pbkdf argon2id --pbkdf-memory 65536 \
    --pbkdf-force-iterations 4 --pbkdf-parallel 1
echo "argon UUID=$UUID bek" >"$WORK/crypttab"

# Run the unlocker on a machine that has AVAILABLE_KIB of memory available.
unlock_with_memory() { # AVAILABLE_KIB [more arguments...]
    local available="$1" start
    shift
    sed "s/^MemAvailable:.*/MemAvailable:   $available kB/" /proc/meminfo >"$WORK/meminfo"
    start=$(date +%s%N)
    RC=0
    # shellcheck disable=SC2016 # expanded by the inner shell
    OUT=$(unshare --mount --propagation private sh -c \
        'mount --bind "$1" /proc/meminfo && shift && exec "$@"' sh "$WORK/meminfo" \
        "$UNLOCK" --test --key-dir "$WORK/keys" --config "$WORK/crypttab" \
        --cmdline "$WORK/cmdline" --timeout 1 "$@" 2>&1) || RC=$?
    MS=$((($(date +%s%N) - start) / 1000000))
    indent <<<"$OUT"
}

step "1. the keyslot opens where memory suffices"
unlock
expect_exit 0 "64 MiB argon2id keyslot"
expect_output "Key would open volume argon ($LOOP)"

step "2. the view of a small machine works"
unlock_with_memory 1048576
expect_exit 0 "64 MiB keyslot with 1 GiB available"
grep -q "MemAvailable:   1048576 kB" "$WORK/meminfo" || fail "the fake meminfo is wrong"

step "3. too little memory: refused at once, exit 10, the sizes named"
unlock_with_memory 81920
expect_exit 10 "64 MiB keyslot with 80 MiB available"
expect_output "Cannot open data volume argon ($LOOP): keyslot 0 needs 64 MiB of memory for its key derivation, but only 80 MiB are available;"
expect_output "cryptsetup luksAddKey --pbkdf pbkdf2"
[ "$MS" -lt 3000 ] || fail "the refusal took $MS ms"

step "4. a cheap keyslot beside it is used instead"
cryptsetup luksAddKey --batch-mode --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
    --key-file "$KEY" "$WORK/argon.img" "$KEY" || fail "luksAddKey failed"
unlock_with_memory 81920
expect_exit 0 "argon2id and PBKDF2 keyslots with 80 MiB available"
expect_output "Key would open volume argon ($LOOP)"
