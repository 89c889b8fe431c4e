#!/bin/bash
# The key goes to a key volume image: generated in ADE's format, stored under
# the name given, named in crypttab as bek:NAME, and read back from the
# volume when a killed encryption resumes.
set -u
. "${BEKBOOT_SOURCE:?}/tests/encrypt/lib.sh"
setup
python3 -c 'import cryptography' 2>/dev/null || skip "python3-cryptography is missing"
command -v mtype >/dev/null || skip "mtools is missing"
KEYVOL="${BEKBOOT_BUILD:?}/keyvol/bekboot-keyvol"
NAME=LinuxPassPhraseFileName_1_3

step 1-prepare
make_ext4 "$WORK/disk.img" 256
"$KEYVOL" create "$WORK/bek.img" >/dev/null || fail "bekboot-keyvol create failed"
loop_attach "$WORK/disk.img"
run=("$ENCRYPT" data "$dev" --name kv1 --key-volume "$WORK/bek.img" --key-name "$NAME"
	--root "$WORK/root")

step 2-kill
"${run[@]}" >"$WORK/log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
	cryptsetup luksDump "$dev" 2>/dev/null | grep -q online-reencrypt && break
	sleep 0.05
done
kill -KILL "$pid" 2>/dev/null || fail "the encryption ended before it could be interrupted"
wait "$pid" 2>/dev/null
cryptsetup luksDump "$dev" | grep -q online-reencrypt || fail "no encryption in progress"

step 3-key-stored
mtype -i "$WORK/bek.img" "::$NAME" >"$WORK/key" 2>/dev/null || fail "no key file $NAME on the volume"
[ "$(wc -c <"$WORK/key")" -eq 172 ] || fail "the key is not 172 bytes of ADE format"
grep -qE '^[A-Za-z0-9+/]{170}==$' "$WORK/key" || fail "the key is not base64 of 127 bytes"
grep -qx "kv1 UUID=.* bek:$NAME luks,nofail" "$WORK/root/etc/bekboot/crypttab" ||
	fail "crypttab does not name the key: $(cat "$WORK/root/etc/bekboot/crypttab")"

step 4-resume
# With no volume named, resume takes every volume of crypttab in progress.
"$ENCRYPT" resume --key-volume "$WORK/bek.img" --root "$WORK/root" >>"$WORK/log" 2>&1 ||
	{ cat "$WORK/log" >&2; fail "resume with the key volume exited with $?"; }
cryptsetup luksDump "$dev" | grep -q online-reencrypt && fail "still in reencryption"
grep -q "Using key $NAME on key volume" "$WORK/log" || fail "resume did not read the key back"
[ "$(mdir -b -i "$WORK/bek.img" :: 2>/dev/null | grep -c "$NAME")" -eq 1 ] ||
	fail "the volume does not hold exactly one key file $NAME"

step 5-oracle
cryptsetup luksDump "$dev" | grep -q 'PBKDF:.*pbkdf2' || fail "a generated key did not get PBKDF2"
decrypt "$dev" "$WORK/key" "$WORK/plain.img" $((224 << 20))
check_plaintext "$WORK/plain.img" "$WORK/disk.img.sums"
echo PASS
