#!/bin/bash
# late: after boot, the entries of /etc/bekboot/fstab are mounted; one that
# fails is an error unless it is nofail, and a second run changes nothing.
# Runs in a private mount namespace with a scratch /etc/bekboot, so that the
# host's /etc and mounts are never touched.
set -euo pipefail
# shellcheck source=tests/host/lib.sh
. "$(dirname "$0")/lib.sh"

if [ "${1:-}" != --inside ]; then
    exec unshare -m --propagation private "$0" --inside
fi
setup
# /etc as an overlay with a scratch upper layer: writes stay in $WORK.
mkdir "$WORK/etc-upper" "$WORK/etc-work"
mount -t overlay bekboot-test-etc \
    -o "lowerdir=/etc,upperdir=$WORK/etc-upper,workdir=$WORK/etc-work" /etc ||
    skip "cannot lay an overlay over /etc here"
mkdir -p /etc/bekboot

step "1. an ext4 volume to mount"
truncate -s 16M "$WORK/data.img"
mkfs.ext4 -q -F "$WORK/data.img"
attach "$WORK/data.img"
DATA_LOOP=$LOOP
mkdir -p "$WORK/mnt"

late() {
    RC=0
    OUT=$("$UNLOCK" late --config "$WORK/crypttab" --cmdline "$WORK/cmdline" 2>&1) || RC=$?
    if [ -n "$OUT" ]; then
        indent <<<"$OUT"
    fi
}

step "2. a nofail entry mounts"
printf '%s %s ext4 defaults,nofail 0 2\n' "$DATA_LOOP" "$WORK/mnt/data" >/etc/bekboot/fstab
late
expect_exit 0 "late with one good entry"
expect_output "Mounted $DATA_LOOP on $WORK/mnt/data."
mountpoint -q "$WORK/mnt/data" || fail "$WORK/mnt/data is not mounted"

step "3. a second run changes nothing"
late
expect_exit 0 "late run twice"
[ "$(grep -c " $WORK/mnt/data " /proc/mounts)" -eq 1 ] || fail "mounted more than once"
umount "$WORK/mnt/data"

step "4. a nofail entry that fails is a warning"
printf '%s %s xfs defaults,nofail 0 2\n' "$DATA_LOOP" "$WORK/mnt/wrong" >/etc/bekboot/fstab
late
expect_exit 0 "late with a failing nofail entry"
expect_output "Failed to mount $DATA_LOOP on $WORK/mnt/wrong"
expect_output "ignoring (nofail)"

step "5. an entry that fails and is not nofail is an error"
printf '%s %s xfs defaults 0 2\n' "$DATA_LOOP" "$WORK/mnt/wrong" >/etc/bekboot/fstab
late
[ "$RC" -ne 0 ] || fail "late exited 0 although a required mount failed"
expect_output "error: Failed to mount $DATA_LOOP on $WORK/mnt/wrong"

step "6. an absent device is skipped with a warning"
printf '/dev/mapper/bekboot-test-absent %s ext4 defaults,nofail 0 2\n' "$WORK/mnt/gone" \
    >/etc/bekboot/fstab
late
expect_exit 0 "late with an absent device"
expect_output "its device /dev/mapper/bekboot-test-absent is not present"
