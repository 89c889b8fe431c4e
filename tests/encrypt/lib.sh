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
	local dev="$1" key="$2" out="$3" len="$4" hdr="${5:-}" vk off sec
	vk=$(volume_key "$dev" "$key" "$hdr")
	[ ${#vk} -eq 128 ] || fail "no 512-bit volume key from luksDump"
	read -r off sec < <(segment "$dev" "$hdr")
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
