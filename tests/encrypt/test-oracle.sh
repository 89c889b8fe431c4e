#!/bin/bash
# Encrypt an ext4 data disk in place; an independent AES-XTS decryption of
# the result must give back a clean filesystem with every file intact.
set -u
. "${BEKBOOT_SOURCE:?}/tests/encrypt/lib.sh"
setup
python3 -c 'import cryptography' 2>/dev/null || skip "python3-cryptography is missing"

step 1-prepare
make_ext4 "$WORK/disk.img" 128
mkdir -p "$WORK/root/keys"
key="$WORK/root/keys/data.key"
make_ade_key "$key"
loop_attach "$WORK/disk.img"
fsuuid=$(blkid -s UUID -o value "$dev")
printf '# data\nUUID=%s /data ext4 defaults 0 2\n' "$fsuuid" >"$WORK/root/etc/fstab"

step 2-encrypt
"$ENCRYPT" data "$dev" --name data1 --key-file "$key" --root "$WORK/root" ||
	fail "bekboot-encrypt data exited with $?"

step 3-header
cryptsetup isLuks --type luks2 "$dev" || fail "no LUKS2 header"
dump=$(cryptsetup luksDump "$dev")
grep -q 'cipher: aes-xts-plain64' <<<"$dump" || fail "cipher is not aes-xts-plain64"
grep -q 'sector: 4096' <<<"$dump" || fail "sector size is not 4096"
grep -q 'Label:.*data1' <<<"$dump" || fail "LUKS2 label is not data1"
grep -q 'PBKDF:.*pbkdf2' <<<"$dump" || fail "a generated key did not get PBKDF2"
grep -q 'Iterations:.*1000$' <<<"$dump" || fail "PBKDF2 iterations are not 1000"
grep -q 'Key:.*512 bits' <<<"$dump" || fail "key is not 512 bits"
grep -q 'online-reencrypt' <<<"$dump" && fail "reencryption is still flagged in progress"

step 4-oracle
decrypt "$dev" "$key" "$WORK/plain.img" $((96 << 20))
check_plaintext "$WORK/plain.img" "$WORK/disk.img.sums"

step 5-config
luks=$(cryptsetup luksUUID "$dev")
grep -qx "data1 UUID=$luks /keys/data.key luks,nofail" "$WORK/root/etc/bekboot/crypttab" ||
	fail "crypttab line is wrong: $(cat "$WORK/root/etc/bekboot/crypttab")"
grep -qx "/dev/mapper/data1 /data ext4 nofail 0 2" "$WORK/root/etc/bekboot/fstab" ||
	fail "moved fstab entry is wrong"
grep -q "^UUID=$fsuuid" "$WORK/root/etc/fstab" && fail "the entry is still in /etc/fstab"
ls "$WORK/root/etc/"fstab.bekboot-* >/dev/null 2>&1 || fail "no dated fstab backup"
grep -q "^UUID=$fsuuid" "$WORK/root/etc/"fstab.bekboot-* || fail "backup lacks the old entry"

step 6-rerun
"$ENCRYPT" data "$dev" --name data1 --key-file "$key" --root "$WORK/root"
[ $? -eq 3 ] || fail "a second run on the encrypted disk did not refuse"
echo PASS
