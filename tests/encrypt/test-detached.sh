#!/bin/bash
# Detached header mode on XFS (which cannot shrink): the data stays where it
# is, the header goes to a file, and the oracle decrypts the same bytes.
set -u
. "${BEKBOOT_SOURCE:?}/tests/encrypt/lib.sh"
setup
python3 -c 'import cryptography' 2>/dev/null || skip "python3-cryptography is missing"
command -v mkfs.xfs >/dev/null || skip "no xfsprogs"

step 1-prepare
truncate -s 320M "$WORK/disk.img" # mkfs.xfs needs more than 300 MB
mkfs.xfs -q "$WORK/disk.img" || fail "mkfs.xfs failed"
cp "$WORK/disk.img" "$WORK/expected.img"
mkdir -p "$WORK/root/keys" "$WORK/headers"
key="$WORK/root/keys/data.key"
make_ade_key "$key"
loop_attach "$WORK/disk.img"

step 2-encrypt
"$ENCRYPT" data "$dev" --name xfsdata --key-file "$key" --root "$WORK/root" \
	--header "$WORK/headers/xfsdata.luks" || fail "exit status $?"
cryptsetup isLuks "$WORK/headers/xfsdata.luks" || fail "no LUKS header in the header file"
cryptsetup isLuks "$dev" && fail "the data device got a header"
cryptsetup luksDump "$WORK/headers/xfsdata.luks" | grep -q online-reencrypt && fail "unfinished"

step 3-oracle
decrypt "$dev" "$key" "$WORK/plain.img" $((320 << 20)) "$WORK/headers/xfsdata.luks"
cmp "$WORK/plain.img" "$WORK/expected.img" || fail "plaintext differs"
xfs_repair -n -f "$WORK/plain.img" >/dev/null 2>&1 || fail "xfs_repair -n finds errors"

step 4-config
grep -qx "xfsdata $dev /keys/data.key luks,nofail,header=$WORK/headers/xfsdata.luks" \
	"$WORK/root/etc/bekboot/crypttab" || fail "crypttab: $(cat "$WORK/root/etc/bekboot/crypttab")"
echo PASS
