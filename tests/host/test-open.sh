#!/bin/bash
# The volume formats that the unlocker opens: LUKS1, LUKS2, an argon2id
# keyslot, and detached headers, from a path and from a filesystem found by
# UUID. Checked with --test on loop devices: the host has no device-mapper.
# shellcheck disable=SC2119 # unlock takes optional arguments
set -euo pipefail
# shellcheck source=tests/host/lib.sh
. "$(dirname "$0")/lib.sh"
setup

KEY="$WORK/keys/LinuxPassPhraseFileName"
make_key "$KEY"
FP=$(fingerprint "$KEY")

step "1. LUKS1 opens with the base key"
luks_volume luks1 luks1 "$KEY"
echo "v1 UUID=$UUID bek" >"$WORK/crypttab"
unlock
expect_exit 0 "LUKS1 volume"
expect_output "Key would open volume v1 ($LOOP) with key LinuxPassPhraseFileName [$FP]"
LUKS1_UUID=$UUID

step "2. LUKS2 opens, and both are reported, one line each"
luks_volume luks2 luks2 "$KEY"
printf 'v1 UUID=%s bek\nv2 UUID=%s bek\n' "$LUKS1_UUID" "$UUID" >"$WORK/crypttab"
unlock
expect_exit 0 "LUKS1 and LUKS2 volumes"
expect_output "Key would open volume v2 ($LOOP) with key LinuxPassPhraseFileName [$FP]"
[ "$(grep -c "Key would open volume" <<<"$OUT")" -eq 2 ] || fail "not one line per volume"
! grep -qF -- "$(cat "$KEY")" <<<"$OUT" || fail "the key itself appears in the output"

step "3. an argon2id keyslot opens"
luks_volume argon luks2 "$KEY" --pbkdf argon2id --pbkdf-memory 32768 \
    --pbkdf-force-iterations 4 --pbkdf-parallel 1
echo "va UUID=$UUID bek" >"$WORK/crypttab"
unlock
expect_exit 0 "argon2id keyslot"
expect_output "Key would open volume va ($LOOP)"

step "4. a detached header given by path"
truncate -s 32M "$WORK/data.img"
truncate -s 16M "$WORK/header.img"
cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
    --header "$WORK/header.img" --key-file "$KEY" "$WORK/data.img" ||
    fail "luksFormat with a detached header failed"
attach "$WORK/data.img"
DATA_LOOP=$LOOP
echo "vh $DATA_LOOP bek header=$WORK/header.img" >"$WORK/crypttab"
unlock
expect_exit 0 "detached header by path"
expect_output "Key would open volume vh ($DATA_LOOP)"

step "5. without its header the device is no LUKS volume"
echo "vh $DATA_LOOP bek" >"$WORK/crypttab"
unlock
[ "$RC" -ne 0 ] || fail "a device without a header was opened"
expect_output "Failed to load the LUKS header of volume vh from $DATA_LOOP"

step "6. a header file that is not there"
echo "vh $DATA_LOOP bek header=$WORK/absent.img" >"$WORK/crypttab"
unlock
expect_exit 8 "absent header file"
expect_output "Failed to read header $WORK/absent.img of volume vh: No such file or directory"
expect_output "its LUKS header is absent or unreadable"

step "7. a detached header on a filesystem found by UUID"
grep -qw ext4 /proc/filesystems || modprobe ext4 2>/dev/null || true
if ! grep -qw ext4 /proc/filesystems || ! command -v mkfs.ext4 >/dev/null; then
    echo "   (not run: this kernel cannot mount ext4, or mkfs.ext4 is missing)"
    exit 0
fi
mkdir -p "$WORK/boot/luks"
cp "$WORK/header.img" "$WORK/boot/luks/osluksheader"
BOOT_UUID=$(new_uuid)
truncate -s 64M "$WORK/boot.img"
mkfs.ext4 -q -U "$BOOT_UUID" -d "$WORK/boot" "$WORK/boot.img" || fail "mkfs.ext4 failed"
attach "$WORK/boot.img"
BOOT_LOOP=$LOOP
NAME="bekboot-host-test-$$"
MAPPINGS+=("$NAME")
echo "$NAME $DATA_LOOP bek header=UUID=$BOOT_UUID:/luks/osluksheader" >"$WORK/crypttab"
unlock
expect_exit 0 "detached header on a filesystem found by UUID"
expect_output "Key would open volume $NAME ($DATA_LOOP)"
! grep -q "^$BOOT_LOOP " /proc/mounts || fail "the /boot filesystem was left mounted"

step "8. the filesystem holds no header at that path"
echo "$NAME $DATA_LOOP bek header=UUID=$BOOT_UUID:/luks/absent" >"$WORK/crypttab"
unlock
expect_exit 8 "no header file on the filesystem"
expect_output "Failed to read header /luks/absent of volume $NAME from $BOOT_LOOP"

step "9. the filesystem with the header is absent"
ABSENT_UUID=$(new_uuid)
echo "$NAME $DATA_LOOP bek header=UUID=$ABSENT_UUID:/luks/osluksheader" >"$WORK/crypttab"
unlock
expect_exit 8 "filesystem with the header absent"
expect_output "Cannot open data volume $NAME ($DATA_LOOP): its detached header /luks/osluksheader on the filesystem UUID=$ABSENT_UUID is absent or unreadable"
