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
loop_attach "$WORK/disk.img"
# The original plaintext after the shrink the encryptor does: shrink a copy
# the same way, so that the comparison covers every byte of the filesystem.
cp "$WORK/disk.img" "$WORK/expected.img"
e2fsck -f -p "$WORK/expected.img" >/dev/null || fail "e2fsck of the copy failed"
resize2fs "$WORK/expected.img" $(((256 - 32) * 1024))K >/dev/null 2>&1 || fail "resize2fs of the copy"
size=$(fs_bytes "$WORK/expected.img")
truncate -s "$size" "$WORK/expected.img"

run=("$ENCRYPT" data "$dev" --name crash --key-file "$key" --root "$WORK/root")

# Random delays in milliseconds: long enough to get past the check, shrink
# and header phases while they are not done yet, and short during the data
# phase (hotzones of 16 MiB) so that many kills land in it.
next_delay() {
	if cryptsetup luksDump "$dev" 2>/dev/null | grep -q online-reencrypt; then
		echo $((RANDOM % 280 + 20))
	else
		echo $((RANDOM % 1400 + 100))
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
	delay=$(next_delay)
	sleep "$((delay / 1000)).$(printf '%03d' $((delay % 1000)))"
	if kill -KILL "$pid" 2>/dev/null; then
		wait "$pid" 2>/dev/null
		kills=$((kills + 1))
		continue
	fi
	wait "$pid"
	rc=$?
	[ "$rc" -eq 0 ] || { tail -25 "$WORK/log"; fail "a run exited with $rc"; }
	fail "the encryption finished after only $kills kills; use a smaller hotzone"
done
echo "killed $kills times; runs that shrank: $(grep -c 'Shrinking' "$WORK/log"), wrote the header: $(grep -c 'Writing the LUKS2' "$WORK/log"), rewrote it: $(grep -c 'again' "$WORK/log")"
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
decrypt "$dev" "$key" "$WORK/plain.img" "$size"
# e2fsck and resize2fs stamp the primary superblock (times, lifetime
# writes, checksum); every other byte must be identical, and so must every
# other superblock field.
cmp <(head -c 1024 "$WORK/plain.img") <(head -c 1024 "$WORK/expected.img") ||
	fail "plaintext differs from the original before the superblock"
cmp <(tail -c +2049 "$WORK/plain.img") <(tail -c +2049 "$WORK/expected.img") ||
	fail "plaintext differs from the original after the superblock"
sb_fields() {
	dumpe2fs -h "$1" 2>/dev/null | grep -Ev '^(Last|Lifetime writes|Checksum:|Mount count)'
}
diff <(sb_fields "$WORK/plain.img") <(sb_fields "$WORK/expected.img") ||
	fail "superblock fields differ beyond time stamps"
check_plaintext "$WORK/plain.img" "$WORK/disk.img.sums"
[ "$(grep -c '^crash ' "$WORK/root/etc/bekboot/crypttab")" -eq 1 ] || fail "crypttab entry duplicated"
echo PASS
