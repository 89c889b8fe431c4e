#!/bin/bash
# status on a scratch root whose crypttab names loop devices over images: one
# fully encrypted, one whose encryption was interrupted half way, one plain
# ext4, one absent; and an fstab with encrypted, plain, pseudo, boot and key
# volume entries. Text and JSON must match expected/status.*, the exit
# status must say that not everything is encrypted, and once the encryption
# is resumed and the plain disk is gone, that everything is.
set -u
. "${BEKBOOT_SOURCE:?}/tests/encrypt/lib.sh"
setup

step 1-images
truncate -s 64M "$WORK/enc.img" "$WORK/plain.img"
make_ade_key "$WORK/root/enc.key"
cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
	--key-file "$WORK/root/enc.key" "$WORK/enc.img" || fail "luksFormat failed"
mkfs.ext4 -q -F "$WORK/plain.img" || fail "mkfs.ext4 failed"
make_ext4 "$WORK/half.img" 192
make_ade_key "$WORK/root/half.key"
loop_attach "$WORK/enc.img"
enc=$dev
loop_attach "$WORK/plain.img"
plain=$dev
loop_attach "$WORK/half.img"
half=$dev

step 2-interrupt
# SIGINT ignored from the start (an ignored signal stays ignored across exec)
# until the encryptor catches it, which it does from its first hotzone on;
# then one SIGINT stops it at the end of that hotzone.
trap '' INT
"$ENCRYPT" data "$half" --name half --key-file "$WORK/root/half.key" --root "$WORK/root" \
	>"$WORK/log" 2>&1 &
pid=$!
trap - INT
catches_sigint() { # SigCgt is a hex mask; SIGINT (2) is bit 1
	local mask
	mask=$(awk '/^SigCgt:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || return 1
	[ -n "$mask" ] && (((16#$mask >> 1) & 1))
}
until catches_sigint; do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.01
done
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 4 ] || { cat "$WORK/log"; fail "the encryption was not interrupted (exit status $rc)"; }

step 3-config
cat >>"$WORK/root/etc/bekboot/crypttab" <<CRYPTTAB
enc $enc $WORK/root/enc.key luks,nofail
plain $plain bek luks,nofail
gone UUID=00000000-1111-4222-8333-444444444444 bek luks,nofail
CRYPTTAB
cat >"$WORK/root/etc/fstab" <<FSTAB
/dev/mapper/osencrypt / ext4 defaults 0 1
UUID=0d6c8f5e-3e0b-4a39-9d4c-2f6c1b0a7e11 /boot ext4 defaults 0 2
/dev/mapper/enc /srv/enc ext4 defaults,nofail 0 2
$plain /srv/plain ext4 defaults 0 2
proc /proc proc defaults 0 0
tmpfs /tmp tmpfs defaults 0 0
/swapfile none swap sw 0 0
/dev/disk/by-id/bekboot-test-no-such-disk-part2 none swap sw 0 0
LABEL=BEK\\040VOLUME /mnt/azure_bek_disk auto defaults,nofail 0 0
server:/export /mnt/nfs nfs defaults 0 0
FSTAB
echo "osencrypt UUID=5f1e2d3c-4b5a-4968-8776-655443322110 none luks" >"$WORK/root/etc/crypttab"
uuid=$(cryptsetup luksUUID "$half") || fail "no LUKS header on $half"

# Names that change from run to run become fixed ones.
sanitize() {
	sed -e "s|$enc\b|LOOP-ENC|g; s|$plain\b|LOOP-PLAIN|g; s|$half\b|LOOP-HALF|g" \
		-e "s|$uuid|HALF-UUID|g; s|$WORK|WORK|g" -e 's/ [0-9]\{1,2\}% done/ N% done/'
}

step 4-text
"$ENCRYPT" status --root "$WORK/root" >"$WORK/status.txt" 2>"$WORK/status.err"
rc=$?
[ "$rc" -eq 5 ] || { cat "$WORK/status.txt" "$WORK/status.err"; fail "exit status $rc, not 5"; }
sanitize <"$WORK/status.txt" | tr -s ' ' | diff -u "$SRC/expected/status.txt" - || fail "text output differs"

step 5-json
"$ENCRYPT" status --json --root "$WORK/root" >"$WORK/status.json" 2>"$WORK/status.err"
rc=$?
[ "$rc" -eq 5 ] || fail "--json: exit status $rc, not 5"
# Progress must be strictly between nothing and everything; then fixed.
python3 - "$WORK/status.json" >"$WORK/status.fixed.json" <<'PY' || fail "bad JSON"
import json, sys
status = json.load(open(sys.argv[1]))
half = [v for v in status["volumes"] if v["name"] == "half"][0]
assert half["reencryption"] == "in-progress", half
assert 0 <= half["percent"] < 100 and 0 <= half["encrypted_bytes"] < half["total_bytes"], half
for volume in status["volumes"]:
    for key in ("percent", "encrypted_bytes", "luks_uuid"):
        if volume.get(key) is not None:
            volume[key] = "X"
print(json.dumps(status, indent=2))
PY
sanitize <"$WORK/status.fixed.json" | diff -u "$SRC/expected/status.json" - ||
	fail "JSON output differs"

step 6-all-encrypted
"$ENCRYPT" resume half --root "$WORK/root" >>"$WORK/log" 2>&1 || fail "resume failed"
sed -i '/^plain /d' "$WORK/root/etc/bekboot/crypttab"
sed -i "\\|^$plain |d; \\|^/dev/disk/by-id/bekboot-test|d" "$WORK/root/etc/fstab"
"$ENCRYPT" status --root "$WORK/root" >"$WORK/status.txt" 2>&1
rc=$?
[ "$rc" -eq 0 ] || { cat "$WORK/status.txt"; fail "exit status $rc, not 0"; }
grep -q "^Everything is encrypted.$" "$WORK/status.txt" || fail "no 'Everything is encrypted.'"
grep -q "^half .* encrypted$" "$WORK/status.txt" || fail "half is not shown encrypted"
echo PASS
