#!/bin/bash
# Refusals: a mounted device, a device too small, one that is already LUKS,
# and an unknown filesystem without --header or --format. Each must exit 3
# and leave the device byte-identical.
set -u
. "${BEKBOOT_SOURCE:?}/tests/encrypt/lib.sh"
setup
mkdir -p "$WORK/root/keys"
key="$WORK/root/keys/data.key"
make_ade_key "$key"

# refuse IMAGE MESSAGE [ARGS...]: run on a loop device over IMAGE, expect exit
# 3, MESSAGE in the output, and the image unchanged.
refuse() {
	local img="$1" message="$2" before after rc
	shift 2
	before=$(sha256sum <"$img")
	"$ENCRYPT" data "$dev" --name refused --key-file "$key" --root "$WORK/root" "$@" \
		>"$WORK/out" 2>&1
	rc=$?
	[ "$rc" -eq 3 ] || { cat "$WORK/out"; fail "exit status $rc, not 3"; }
	grep -q "$message" "$WORK/out" || { cat "$WORK/out"; fail "no message '$message'"; }
	after=$(sha256sum <"$img")
	[ "$before" = "$after" ] || fail "the device changed"
	[ ! -e "$WORK/root/etc/bekboot/crypttab" ] || fail "crypttab was written"
}

step 1-mounted
truncate -s 96M "$WORK/mounted.img"
mkfs.ext4 -q -b 4096 "$WORK/mounted.img"
loop_attach "$WORK/mounted.img"
mkdir -p "$WORK/mnt"
if mount -o ro "$dev" "$WORK/mnt" 2>/dev/null; then
	refuse "$WORK/mounted.img" "is mounted on"
	umount "$WORK/mnt"
else
	echo "cannot mount here; skipping this step"
fi

step 2-too-small
truncate -s 16M "$WORK/small.img"
mkfs.ext4 -q "$WORK/small.img"
loop_attach "$WORK/small.img"
refuse "$WORK/small.img" "is too small"

step 3-already-luks
truncate -s 96M "$WORK/luks.img"
cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
	--key-file "$key" "$WORK/luks.img" || fail "luksFormat failed"
loop_attach "$WORK/luks.img"
refuse "$WORK/luks.img" "already encrypted"

step 4-unknown-filesystem
truncate -s 320M "$WORK/xfs.img"  # mkfs.xfs needs more than 300 MB
mkfs.xfs -q "$WORK/xfs.img" || skip "mkfs.xfs failed"
loop_attach "$WORK/xfs.img"
xfs_dev=$dev
refuse "$WORK/xfs.img" "cannot be shrunk"
head -c 96M /dev/urandom >"$WORK/random.img"
loop_attach "$WORK/random.img"
refuse "$WORK/random.img" "no filesystem"

step 5-format-needs-yes
dev=$xfs_dev
refuse "$WORK/xfs.img" "add --yes" --format
echo PASS
