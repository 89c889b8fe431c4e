#!/bin/bash
# Devices that are absent, with and without nofail, and configurations
# that are malformed or that turn the unlocker off.
# shellcheck disable=SC2119 # unlock takes optional arguments
set -euo pipefail
# shellcheck source=tests/host/lib.sh
. "$(dirname "$0")/lib.sh"
setup

KEY="$WORK/keys/LinuxPassPhraseFileName"
make_key "$KEY"
luks_volume vol luks2 "$KEY"
VOL_UUID=$UUID
GONE_UUID=$(new_uuid)

step "1. an absent data volume with nofail is skipped"
printf 'vol UUID=%s bek\ngone UUID=%s bek nofail\n' "$VOL_UUID" "$GONE_UUID" >"$WORK/crypttab"
unlock
expect_exit 0 "absent nofail volume"
expect_output "Key would open volume vol ($LOOP)"
expect_output "Skipping volume gone (UUID=$GONE_UUID): its device is not present."

step "2. an absent data volume without nofail fails, within the timeout"
printf 'vol UUID=%s bek\ngone UUID=%s bek\n' "$VOL_UUID" "$GONE_UUID" >"$WORK/crypttab"
unlock
expect_exit 7 "absent volume"
expect_output "Key would open volume vol ($LOOP)"
expect_output "Cannot open data volume gone (UUID=$GONE_UUID): its device is not present."
[ "$MS" -ge 900 ] || fail "gave up after $MS ms, before the 1 s timeout"
[ "$MS" -lt 10000 ] || fail "took $MS ms with a 1 s timeout"

step "3. an absent root volume fails"
echo "osencrypt UUID=$GONE_UUID bek root" >"$WORK/crypttab"
unlock
expect_exit 7 "absent root"
expect_output "Cannot open root volume osencrypt (UUID=$GONE_UUID): its device is not present."

step "4. a device path that does not exist"
echo "gone /dev/disk/by-id/bekboot-host-test-absent bek" >"$WORK/crypttab"
unlock
expect_exit 7 "absent device path"
expect_output "Cannot open data volume gone (/dev/disk/by-id/bekboot-host-test-absent)"

step "5. a malformed configuration names its line"
printf '# volumes\nvol UUID=%s bek\ndata UUID=%s bek nofial\n' "$VOL_UUID" "$GONE_UUID" \
    >"$WORK/crypttab"
unlock
expect_exit 3 "malformed configuration"
expect_output "$WORK/crypttab:3: unknown option 'nofial'."
! grep -q "Key would open" <<<"$OUT" || fail "a volume was tried despite the bad configuration"

step "6. two volumes with the same name"
printf 'vol UUID=%s bek\nvol UUID=%s bek\n' "$VOL_UUID" "$GONE_UUID" >"$WORK/crypttab"
unlock
expect_exit 3 "duplicate name"
expect_output "$WORK/crypttab:2: mapping name 'vol' used twice."

step "7. a malformed kernel command line"
echo "vol UUID=$VOL_UUID bek" >"$WORK/crypttab"
echo "quiet rd.bekboot.timeout=soon" >"$WORK/cmdline"
unlock
expect_exit 3 "malformed command line"
expect_output "Invalid kernel command line in $WORK/cmdline: rd.bekboot.timeout needs a number"

step "8. rd.bekboot=0 turns the unlocker off"
echo "osencrypt UUID=$GONE_UUID bek root" >"$WORK/crypttab"
echo "quiet rd.bekboot=0" >"$WORK/cmdline"
unlock
expect_exit 0 "rd.bekboot=0"
expect_output "Disabled by rd.bekboot=0 on the kernel command line."

step "9. no configuration: nothing to do"
echo "quiet" >"$WORK/cmdline"
: >"$WORK/crypttab"
unlock
expect_exit 0 "empty configuration"
[ "$MS" -lt 1000 ] || fail "took $MS ms with nothing to do"
unlock --config "$WORK/absent"
expect_exit 0 "absent configuration"

step "10. a usage error"
unlock --timeout 4000
expect_exit 2 "timeout out of range"
expect_output "Invalid --timeout '4000'"
