#!/bin/bash
# --format: a new empty filesystem inside LUKS2, with a key chosen by a
# person (argon2id).
set -u
. "${BEKBOOT_SOURCE:?}/tests/encrypt/lib.sh"
setup
python3 -c 'import cryptography' 2>/dev/null || skip "python3-cryptography is missing"

step 1-prepare
head -c 64M /dev/zero >"$WORK/disk.img"
mkdir -p "$WORK/root/keys"
key="$WORK/root/keys/person.key"
printf 'correct horse battery staple' >"$key"
loop_attach "$WORK/disk.img"

step 2-format
"$ENCRYPT" data "$dev" --format --name fresh --key-file "$key" --root "$WORK/root" ||
	fail "exit status $?"
dump=$(cryptsetup luksDump "$dev")
grep -q 'PBKDF:.*argon2id' <<<"$dump" || fail "a person's key did not get argon2id"
grep -q 'sector: 4096' <<<"$dump" || fail "sector size is not 4096"

step 3-oracle
decrypt "$dev" "$key" "$WORK/plain.img" $((32 << 20))
e2fsck -f -n "$WORK/plain.img" >/dev/null 2>&1 || fail "no clean ext4 inside"
grep -q '^fresh UUID=' "$WORK/root/etc/bekboot/crypttab" || fail "no crypttab entry"
echo PASS
