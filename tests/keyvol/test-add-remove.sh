#!/bin/bash
# add and remove: key rotation on an image, never losing a key on the way.
# shellcheck source=tests/keyvol/lib.sh
. "$(dirname "$0")/lib.sh"
need mkfs.fat mcopy mdir mtype mmd

listing() {
	mdir -a -b -i vol.img ::/ | sort
}

printf 'old key' >old.key
printf 'new key' >new.key
"$KEYVOL" create vol.img --size 2 --key LinuxPassPhraseFileName=old.key 2>/dev/null ||
	fail "create failed"

step "1. add puts the key on the volume byte for byte"
"$KEYVOL" add vol.img LinuxPassPhraseFileName_0_1=new.key 2>log || fail "add failed: $(cat log)"
mtype -i vol.img ::/LinuxPassPhraseFileName_0_1 | cmp -s - new.key || fail "the added key differs"

step "2. an existing name is refused without --replace, whatever its case"
for name in LinuxPassPhraseFileName linuxpassphrasefilename; do
	"$KEYVOL" add vol.img "$name=new.key" 2>log && fail "add replaced $name"
	grep -q "already exists" log || fail "unclear message: $(cat log)"
done
mtype -i vol.img ::/LinuxPassPhraseFileName | cmp -s - old.key || fail "the old key changed"

step "3. --replace rotates the key and leaves no temporary file"
"$KEYVOL" add --replace vol.img LinuxPassPhraseFileName=new.key 2>log ||
	fail "add --replace failed: $(cat log)"
mtype -i vol.img ::/LinuxPassPhraseFileName | cmp -s - new.key || fail "the key was not replaced"
! listing | grep -q '\.new$' || fail "a temporary file is left: $(listing)"

step "4. bad keys and names are refused and change nothing"
listing >before
printf '' >empty.key
head -c 8193 /dev/zero >big.key
for spec in "e=empty.key" "big=big.key" "a*b=new.key" "a[1]=new.key" "trail.=new.key" \
	"x=missing.key" "=new.key" "nokey"; do
	"$KEYVOL" add vol.img "$spec" 2>log && fail "add accepted $spec"
	[ -s log ] || fail "no message for $spec"
done
listing | cmp -s - before || fail "the volume changed: $(listing)"

step "5. a file left by an interrupted replacement is never thrown away"
printf 'interrupted' | mcopy -i vol.img - ::/LinuxPassPhraseFileName.new
"$KEYVOL" add --replace vol.img LinuxPassPhraseFileName=old.key 2>log &&
	fail "add --replace went on past LinuxPassPhraseFileName.new"
grep -q "interrupted replacement" log || fail "unclear message: $(cat log)"
mtype -i vol.img ::/LinuxPassPhraseFileName.new | grep -qx interrupted ||
	fail "LinuxPassPhraseFileName.new changed"

step "6. remove"
"$KEYVOL" remove vol.img LinuxPassPhraseFileName_0_1 2>log || fail "remove failed: $(cat log)"
! listing | grep -qx "::/LinuxPassPhraseFileName_0_1" || fail "the key is still there"
"$KEYVOL" remove vol.img LinuxPassPhraseFileName_0_1 2>log && fail "remove of a missing key worked"
grep -q "There is no key file LinuxPassPhraseFileName_0_1 on vol.img" log ||
	fail "unclear message: $(cat log)"
mmd -i vol.img ::/keys
"$KEYVOL" remove vol.img keys 2>log && fail "remove deleted a directory"
"$KEYVOL" add vol.img keys=new.key 2>log && fail "add wrote over a directory"
grep -q "a directory has that name" log || fail "unclear message: $(cat log)"

step "7. not a key volume"
head -c 1048576 /dev/zero >blank.img
"$KEYVOL" add blank.img k=new.key 2>log && fail "add wrote to an image without a filesystem"
grep -q "holds no vfat filesystem" log || fail "unclear message: $(cat log)"
cmp -s blank.img <(head -c 1048576 /dev/zero) || fail "blank.img changed"
echo "all steps passed"
