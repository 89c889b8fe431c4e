# Shared helpers of the encryptor's host tests (bash).
# shellcheck shell=bash

ENCRYPT="${BEKBOOT_BUILD:?}/src/encrypt/bekboot-encrypt"
SRC="${BEKBOOT_SOURCE:?}/tests/encrypt"
STEP="setup"
LOOPS=()

step() {
	STEP="$1"
	echo "== step $STEP"
}

fail() {
	echo "FAIL: step $STEP: $*" >&2
	exit 1
}

skip() {
	echo "SKIP: $*" >&2
	exit 77
}

cleanup() {
	local l
	for l in "${LOOPS[@]}"; do
		losetup -d "$l" 2>/dev/null
	done
	[ -n "${WORK:-}" ] && [ -z "${KEEP:-}" ] && rm -rf "$WORK"
}

setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root for loop devices"
	command -v losetup >/dev/null || skip "no losetup"
	[ -x "$ENCRYPT" ] || fail "no $ENCRYPT"
	WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/bekboot-encrypt-test.XXXXXX")
	trap cleanup EXIT
	mkdir -p "$WORK/root/etc"
}

# loop_attach IMAGE: sets $dev to a new loop device over IMAGE
loop_attach() {
	dev=$(losetup -f --show "$1" 2>/dev/null) || skip "no loop device available"
	LOOPS+=("$dev")
}

# An ADE-format key: base64 of 127 random bytes, no newline.
make_ade_key() {
	head -c 127 /dev/urandom | base64 -w0 >"$1"
	chmod 0400 "$1"
}

# make_ext4 IMAGE SIZE_MIB: a 4 KiB-block ext4 filled with random files,
# whose SHA-256 sums go to IMAGE.sums (written without mounting: debugfs).
make_ext4() {
	local img="$1" size="$2" i
	truncate -s "${size}M" "$img"
	mkfs.ext4 -q -F -b 4096 -L testdata "$img"
	mkdir -p "$WORK/files"
	for i in 1 2 3 4 5 6; do
		head -c $((i * 1500 + 7))K /dev/urandom >"$WORK/files/f$i"
		debugfs -w -R "write $WORK/files/f$i f$i" "$img" >/dev/null 2>&1 ||
			fail "debugfs could not write f$i"
	done
	(cd "$WORK/files" && sha256sum f*) >"$img.sums"
}

# volume_key DEVICE KEYFILE [HEADER]: the volume key in hex
volume_key() {
	local hdr=()
	[ -n "${3:-}" ] && hdr=(--header "$3")
	cryptsetup luksDump --batch-mode --dump-volume-key --key-file "$2" "${hdr[@]}" "$1" |
		sed -n '/MK dump:/,$p' | sed 's/MK dump://' | tr -d ' \t\n'
}

# segment DEVICE [HEADER]: "offset sector_size" of the data segment, in bytes
segment() {
	local hdr=()
	[ -n "${2:-}" ] && hdr=(--header "$2")
	cryptsetup luksDump "${hdr[@]}" "$1" | awk '
		/^Data segments:/ { s = 1 }
		s && /offset:/ { off = $2 }
		s && /sector:/ { print off, $2; exit }'
}

# decrypt DEVICE KEYFILE OUT FS_BYTES [HEADER]: the plaintext of the data
# segment, decrypted by the independent oracle.
decrypt() {
	local dev="$1" key="$2" out="$3" len="$4" header_file="${5:-}" vk off sec
	vk=$(volume_key "$dev" "$key" "$header_file")
	[ ${#vk} -eq 128 ] || fail "no 512-bit volume key from luksDump"
	read -r off sec < <(segment "$dev" "$header_file")
	python3 "$SRC/xts-decrypt.py" "$dev" "$off" "$len" "$sec" "$vk" "$out" ||
		fail "the oracle could not decrypt $dev"
}

# check_plaintext IMAGE SUMS: e2fsck -n and every file's checksum
check_plaintext() {
	local img="$1" sums="$2" name sum
	e2fsck -f -n "$img" >/dev/null 2>&1 || fail "e2fsck -n finds errors in the decrypted image"
	while read -r sum name; do
		debugfs -R "dump $name $WORK/out.$name" "$img" >/dev/null 2>&1
		echo "$sum  $WORK/out.$name" | sha256sum -c --quiet - ||
			fail "file $name differs after decryption"
	done <"$sums"
}

fs_bytes() {
	dumpe2fs -h "$1" 2>/dev/null | awk -F: '
		/^Block count/ { n = $2 } /^Block size/ { b = $2 } END { print n * b }'
}

# same_plaintext PLAIN EXPECTED: e2fsck and resize2fs stamp the superblock
# and its backups (times, lifetime writes, checksum); every other byte must
# be identical, and so must every other superblock field.
same_plaintext() {
	local plain="$1" expected="$2" backups
	mapfile -t backups < <(dumpe2fs "$expected" 2>/dev/null |
		sed -n 's/.*Backup superblock at \([0-9]*\).*/\1/p')
	python3 - "$plain" "$expected" "${backups[@]}" <<'PY' || fail "plaintext differs from the original"
import sys
a, b = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
skip = [(1024, 2048)] + [(int(n) * 4096, int(n) * 4096 + 1024) for n in sys.argv[3:]]
if len(a) != len(b):
    sys.exit("sizes differ")
start = 0
for lo, hi in sorted(skip) + [(len(a), len(a))]:
    if a[start:lo] != b[start:lo]:
        i = next(i for i in range(start, lo) if a[i] != b[i])
        sys.exit("first difference at byte %d" % i)
    start = hi
PY
	diff <(sb_fields "$plain") <(sb_fields "$expected") ||
		fail "superblock fields differ beyond time stamps"
}

sb_fields() {
	dumpe2fs -h "$1" 2>/dev/null | grep -Ev '^(Last|Lifetime writes|Checksum:|Mount count)'
}

# shrunk_ext4 IMAGE SIZE_MIB: make_ext4, shrunk by 32 MiB as the encryptor
# would, so that its own resize2fs is a no-op and its e2fsck only stamps the
# superblock; IMAGE.expected is the filesystem as it is then.
shrunk_ext4() {
	local img="$1" size="$2"
	make_ext4 "$img" "$size"
	e2fsck -f -p "$img" >/dev/null || fail "e2fsck failed"
	resize2fs -f "$img" $(((size - 32) * 1024))K >/dev/null 2>&1 || fail "resize2fs failed"
	truncate -s "${size}M" "$img" # resize2fs shrinks an image file too
	head -c "$(fs_bytes "$img")" "$img" >"$img.expected"
}
