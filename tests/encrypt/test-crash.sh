#!/bin/bash
# Crash safety: SIGKILL the encryptor at random moments through one
# encryption, running the same command again after each kill; then SIGINT
# and resume. The plaintext must come out byte-identical to the original.
set -u
. "${BEKBOOT_SOURCE:?}/tests/encrypt/lib.sh"
setup
python3 -c 'import cryptography' 2>/dev/null || skip "python3-cryptography is missing"
KILLS=${KILLS:-20}

step 1-prepare
make_ext4 "$WORK/disk.img" 256
mkdir -p "$WORK/root/keys"
key="$WORK/root/keys/data.key"
make_ade_key "$key"
# Shrink first, as the encryptor would, and keep that as the original: the
# encryptor's own resize2fs is then a no-op, and its e2fsck only stamps the
# superblock. (The oracle test covers the shrink itself.)
e2fsck -f -p "$WORK/disk.img" >/dev/null || fail "e2fsck failed"
resize2fs -f "$WORK/disk.img" $(((256 - 32) * 1024))K >/dev/null 2>&1 || fail "resize2fs failed"
size=$(fs_bytes "$WORK/disk.img")
truncate -s 256M "$WORK/disk.img" # resize2fs shrinks an image file too
head -c "$size" "$WORK/disk.img" >"$WORK/expected.img"
loop_attach "$WORK/disk.img"

run=("$ENCRYPT" data "$dev" --name crash --key-file "$key" --root "$WORK/root")

# Random delays in milliseconds: short during the data phase (hotzones of
# 16 MiB), so that many kills land in it; before it, growing with each kill
# that did not get past the check and header phases, so that kills land
# anywhere in them and yet the encryption gets going.
early=0
next_delay() { # sets $delay
	if cryptsetup luksDump "$dev" 2>/dev/null | grep -q online-reencrypt; then
		delay=$((RANDOM % 150 + 10))
	else
		early=$((early + 1))
		delay=$((RANDOM % 300 + 20 + early * 100))
	fi
}

step 2-kill-and-resume
kills=0
tries=0
while [ "$kills" -lt "$KILLS" ]; do
	tries=$((tries + 1))
	[ "$tries" -le 200 ] || fail "gave up after $tries runs and $kills kills"
	"${run[@]}" >>"$WORK/log" 2>&1 &
	pid=$!
	next_delay
	sleep "$((delay / 1000)).$(printf '%03d' $((delay % 1000)))"
	if kill -KILL "$pid" 2>/dev/null; then
		wait "$pid" 2>/dev/null
		kills=$((kills + 1))
		continue
	fi
	wait "$pid"
	rc=$?
	[ "$rc" -eq 0 ] || { tail -25 "$WORK/log" >&2; fail "a run exited with $rc"; }
	fail "the encryption finished after only $kills kills; use a smaller hotzone"
done
echo "killed $kills times; runs that checked the filesystem: $(grep -c 'Checking' "$WORK/log"), wrote the header: $(grep -c 'Writing the LUKS2' "$WORK/log"), rewrote it: $(grep -c 'again' "$WORK/log")"
cryptsetup luksDump "$dev" 2>/dev/null | grep -q online-reencrypt ||
	fail "the kills did not stop the encryption half way"

step 3-sigint
"${run[@]}" >>"$WORK/log" 2>&1 &
pid=$!
sleep 0.3
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 4 ] || [ "$rc" -eq 0 ] || { tail -25 "$WORK/log"; fail "SIGINT: exit status $rc, not 4"; }
[ "$rc" -eq 4 ] && { grep -q "Stopped encrypting" "$WORK/log" || fail "no stop message"; }

step 4-resume
"$ENCRYPT" resume crash --root "$WORK/root" >>"$WORK/log" 2>&1
rc=$?
[ "$rc" -eq 0 ] || { tail -5 "$WORK/log"; fail "resume exited with $rc"; }
cryptsetup luksDump "$dev" | grep -q online-reencrypt && fail "still in reencryption"

step 5-compare
cryptsetup luksDump "$dev" >>"$WORK/log"
decrypt "$dev" "$key" "$WORK/plain.img" "$size"
same_plaintext "$WORK/plain.img" "$WORK/expected.img"
check_plaintext "$WORK/plain.img" "$WORK/disk.img.sums"
[ "$(grep -c '^crash ' "$WORK/root/etc/bekboot/crypttab")" -eq 1 ] || fail "crypttab entry duplicated"
echo PASS
