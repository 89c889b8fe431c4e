#!/bin/bash
# bekboot-encrypt os on the host, where it must refuse: the host's root is no
# partition with a separate /boot. The refusal lists every problem, not the
# first one, and changes nothing. Then the staging root, built into a plain
# directory: the encryptor, the shell and mtools must run there by chroot,
# with nothing from the host, and the whole tree must fit in its tmpfs.
set -u
. "${BEKBOOT_SOURCE:?}/tests/encrypt/lib.sh"
setup

# What the os command may write on a system it accepts.
snapshot() {
	ls -la /etc/default/grub.d /etc/bekboot /boot/luks /run/initramfs 2>&1
	cat /etc/bekboot/crypttab 2>&1
}

step 1-refusal-lists-every-problem
before=$(snapshot)
"$ENCRYPT" os --dry-run >"$WORK/out" 2>&1
rc=$?
cat "$WORK/out"
[ "$rc" -eq 3 ] || fail "exit status $rc, not 3"
grep -q "Refusing to encrypt the OS disk: .* nothing was changed" "$WORK/out" ||
	fail "no closing refusal line"
problems=$(grep -c "error:" "$WORK/out")
[ "$problems" -ge 3 ] || fail "only $problems problems listed; the host has more"
[ "$(snapshot)" = "$before" ] || fail "something changed"

step 2-refusal-without-dry-run-changes-nothing
"$ENCRYPT" os --yes >"$WORK/out" 2>&1
rc=$?
[ "$rc" -eq 3 ] || { cat "$WORK/out"; fail "exit status $rc, not 3"; }
[ "$(snapshot)" = "$before" ] || fail "something changed"

step 3-staging-tree
mkdir -p "$WORK/root/etc/bekboot"
printf 'osencrypt PARTUUID=1234-02 bek header=UUID=abcd:/luks/osluksheader,root\n' \
	>"$WORK/root/etc/bekboot/crypttab"
"$ENCRYPT" os-staging "$WORK/staging" --root "$WORK/root" || fail "building the tree failed"
[ -x "$WORK/staging/shutdown" ] || fail "no executable /shutdown"
sh -n "$WORK/staging/shutdown" || fail "/shutdown is no valid sh script"
cmp -s "$WORK/root/etc/bekboot/crypttab" "$WORK/staging/etc/bekboot/crypttab" ||
	fail "crypttab was not copied"

step 4-staging-tree-runs-alone
chroot "$WORK/staging" /bin/bekboot-encrypt --help >"$WORK/out" 2>&1 ||
	{ cat "$WORK/out"; fail "the encryptor does not run in the staging root"; }
grep -q "bekboot-encrypt os" "$WORK/out" || fail "unexpected --help output"
chroot "$WORK/staging" /bin/sh -c 'mdir --version && mtype --version' >"$WORK/out" 2>&1 ||
	{ cat "$WORK/out"; fail "sh or mtools do not run in the staging root"; }

step 5-staging-reads-a-key-volume
# mtools needs glibc's code page modules for FAT names: read a key through them.
command -v mkfs.fat >/dev/null || skip "no mkfs.fat (dosfstools)"
truncate -s 2M "$WORK/staging/bek.img"
mkfs.fat -n "BEK VOLUME" "$WORK/staging/bek.img" >/dev/null || fail "mkfs.fat failed"
printf 'secret-key' | MTOOLS_SKIP_CHECK=1 mcopy -i "$WORK/staging/bek.img" - ::/LinuxPassPhraseFileName ||
	fail "mcopy failed"
key=$(chroot "$WORK/staging" /bin/mtype -i /bek.img ::/LinuxPassPhraseFileName 2>"$WORK/out") ||
	{ cat "$WORK/out"; fail "mtype cannot read the key volume in the staging root"; }
[ "$key" = "secret-key" ] || fail "mtype read '$key'"
rm "$WORK/staging/bek.img"

step 6-staging-size
kib=$(du -sk "$WORK/staging" | cut -f1)
echo "staging root: $kib KiB"
[ "$kib" -lt $((64 * 1024)) ] || fail "the staging root ($kib KiB) does not fit its 64 MiB tmpfs"
echo "PASS"
