#!/bin/bash
# A run killed after its last hotzone, before libcryptsetup finishes the
# header (which libcryptsetup cannot resume): resume and a second run of
# data write a new header, with a header at the head and with a detached
# one. gdb stops the real encryptor in its last progress callback and kills
# it there; the data must decrypt byte-identical to the original.
set -u
. "${BEKBOOT_SOURCE:?}/tests/encrypt/lib.sh"
setup
python3 -c 'import cryptography' 2>/dev/null || skip "python3-cryptography is missing"
command -v gdb >/dev/null || skip "no gdb"

# kill_at BREAKPOINT COMMAND...: run COMMAND under gdb, kill it at BREAKPOINT.
kill_at() {
	local where="$1"
	shift
	gdb -batch -ex 'set breakpoint pending on' -ex "break $where" -ex run -ex kill \
		--args "$@" >"$WORK/gdb.log" 2>&1
	grep -q '^Breakpoint 1,' "$WORK/gdb.log" ||
		skip "gdb did not stop at $where (no debug information?): $(tail -3 "$WORK/gdb.log")"
}

# unfinished DEVICE [HEADER]: fails unless the header is left as libcryptsetup
# leaves it: every byte in the final segment, the requirement still set.
unfinished() {
	local h="${2:-$1}"
	cryptsetup luksDump "$h" | grep -q 'online-reencrypt' ||
		fail "the kill came too late: the header is finished"
	cryptsetup luksDump --dump-json-metadata "$h" | python3 -c '
import json, sys
segs = json.load(sys.stdin)["segments"].values()
backup = [s for s in segs if any(f.startswith("backup-") for f in s.get("flags", []))]
used = [s for s in segs if s not in backup]
sys.exit(not (backup and len(used) == 1 and used[0]["type"] == "crypt"
	      and not used[0].get("flags")))' || fail "the kill came too early: data left to encrypt"
}

# finished DEVICE UUID [HEADER]: the new header is whole and as it was.
finished() {
	local dump
	dump=$(cryptsetup luksDump "${3:-$1}") || fail "no LUKS2 header"
	grep -q 'online-reencrypt' <<<"$dump" && fail "the reencryption requirement is still set"
	grep -q 'backup-' <<<"$dump" && fail "backup segments are left"
	grep -q "UUID:.*$2" <<<"$dump" || fail "the LUKS UUID changed"
	grep -q 'Label:.*data' <<<"$dump" || fail "the label was lost"
	grep -q 'sector: 4096' <<<"$dump" || fail "the sector size changed"
	grep -q 'Iterations:.*1000$' <<<"$dump" || fail "the generated key did not get PBKDF2 again"
}

step 1-prepare
shrunk_ext4 "$WORK/disk.img" 96
mkdir -p "$WORK/root/keys"
key="$WORK/root/keys/data.key"
make_ade_key "$key"
loop_attach "$WORK/disk.img"
size=$(stat -c %s "$WORK/disk.img.expected")

step 2-kill-after-last-hotzone
kill_at 'progress_report if offset >= size' \
	"$ENCRYPT" data "$dev" --name data --key-file "$key" --root "$WORK/root"
unfinished "$dev"
uuid=$(cryptsetup luksUUID "$dev")

step 3-kill-while-the-new-header-is-placed
kill_at crypt_header_restore "$ENCRYPT" resume data --root "$WORK/root"
grep -q 'writing a new header' "$WORK/gdb.log" || fail "resume did not see the unfinished header"
ls "$WORK/root/var/lib/bekboot/$uuid.header" >/dev/null || fail "no staged header"
unfinished "$dev"

step 4-resume
"$ENCRYPT" resume data --root "$WORK/root" >"$WORK/log" 2>&1 ||
	{ cat "$WORK/log"; fail "resume exited with $?"; }
grep -q 'prepared for .* again' "$WORK/log" || fail "resume did not write the staged header"
finished "$dev" "$uuid"
[ -z "$(ls -A "$WORK/root/var/lib/bekboot")" ] || fail "staging files are left"

step 5-oracle
decrypt "$dev" "$key" "$WORK/plain.img" "$size"
same_plaintext "$WORK/plain.img" "$WORK/disk.img.expected"
check_plaintext "$WORK/plain.img" "$WORK/disk.img.sums"
# The first 16 MiB were copied to the last 16 MiB and encrypted from there.
cmp -s <(tail -c 16M "$WORK/disk.img") <(head -c 16M "$WORK/disk.img.expected") &&
	fail "the plaintext copy of the moved segment is still at the end of the device"

step 6-detached
make_ext4 "$WORK/det.img" 64
cp "$WORK/det.img" "$WORK/det.expected"
loop_attach "$WORK/det.img"
header="$WORK/headers/data.luks"
mkdir -p "$WORK/headers" "$WORK/root2/etc"
run=("$ENCRYPT" data "$dev" --name data --key-file "$key" --root "$WORK/root2" --header "$header")
kill_at 'progress_report if offset >= size' "${run[@]}"
unfinished "$dev" "$header"
uuid=$(cryptsetup luksUUID "$header")
"${run[@]}" >"$WORK/log" 2>&1 || { cat "$WORK/log"; fail "the second run exited with $?"; }
grep -q 'writing a new header' "$WORK/log" || fail "the second run did not see the unfinished header"
finished "$dev" "$uuid" "$header"
decrypt "$dev" "$key" "$WORK/plain.img" $((64 << 20)) "$header"
same_plaintext "$WORK/plain.img" "$WORK/det.expected"
echo PASS
