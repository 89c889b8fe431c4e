#!/bin/bash
# create: a vfat volume that libblkid sees as "BEK VOLUME", holding every key
# byte for byte, at the small and the default size; refusals change nothing.
# shellcheck source=tests/keyvol/lib.sh
. "$(dirname "$0")/lib.sh"
need blkid mkfs.fat mcopy mdir mtype

# Every byte value, and a key in ADE's format.
# shellcheck disable=SC2059 # the format is the escapes of every byte value
printf "$(printf '\\%03o' $(seq 0 255))" >binary.key
"$KEYVOL" generate --out ade.key 2>/dev/null || fail "generate failed"

check_volume() { # IMAGE LABEL NAME=FILE...
	local image="$1" label="$2" spec name file
	shift 2
	blkid -p "$image" | grep -qF "LABEL=\"$label\"" ||
		fail "blkid does not report LABEL=\"$label\": $(blkid -p "$image")"
	blkid -p "$image" | grep -qF 'TYPE="vfat"' || fail "blkid does not report TYPE=\"vfat\""
	for spec in "$@"; do
		name="${spec%%=*}"
		file="${spec#*=}"
		mdir -b -i "$image" ::/ | grep -qxF "::/$name" || fail "mdir does not list $name"
		mtype -i "$image" "::/$name" | cmp -s - "$file" ||
			fail "$name on $image differs from $file"
	done
}

step "1. default size, keys from files and a generated key"
"$KEYVOL" create vol.img --key LinuxPassPhraseFileName=ade.key \
	--key LinuxPassPhraseFileName_0_1=binary.key --generate LinuxPassPhraseFileName_1_0 \
	2>log || fail "create failed: $(cat log)"
[ "$(stat -c %s vol.img)" -eq $((48 * 1024 * 1024)) ] || fail "vol.img is not 48 MiB"
[ "$(stat -c %a vol.img)" = 600 ] || fail "vol.img has mode $(stat -c %a vol.img), not 600"
check_volume vol.img "BEK VOLUME" LinuxPassPhraseFileName=ade.key \
	LinuxPassPhraseFileName_0_1=binary.key
[ "$(mtype -i vol.img ::/LinuxPassPhraseFileName_1_0 | wc -c)" -eq 172 ] ||
	fail "the generated key is not 172 bytes"
mtype -i vol.img ::/README.TXT | grep -q "keys that unlock" || fail "no notice on the volume"
! grep -qF "$(cat ade.key)" log || fail "a key appears in the log"

step "2. the smallest size, a key from standard input"
"$KEYVOL" create small.img --size 1 --key key=- <binary.key 2>log ||
	fail "create --size 1 failed: $(cat log)"
[ "$(stat -c %s small.img)" -eq $((1024 * 1024)) ] || fail "small.img is not 1 MiB"
check_volume small.img "BEK VOLUME" key=binary.key

step "3. another label, as libblkid shows it"
"$KEYVOL" create label.img --size 2 --label "MY KEYS" --key k=ade.key 2>/dev/null ||
	fail "create --label failed"
check_volume label.img "MY KEYS" k=ade.key

step "4. an existing image is kept unless --force"
cp vol.img vol.before
"$KEYVOL" create vol.img --size 2 2>log && fail "create replaced vol.img without --force"
grep -q "Refusing to replace vol.img" log || fail "unclear message: $(cat log)"
cmp -s vol.img vol.before || fail "vol.img changed although create refused"
"$KEYVOL" create vol.img --size 2 --force --key k=binary.key 2>/dev/null ||
	fail "create --force failed"
check_volume vol.img "BEK VOLUME" k=binary.key
[ "$(stat -c %s vol.img)" -eq $((2 * 1024 * 1024)) ] || fail "--force did not make a new image"

step "5. bad input is refused and leaves no file behind"
printf '' >empty.key
head -c 9000 /dev/zero >big.key
for args in "--label bad.label" "--label TWELVECHARSX" "--size 0" "--size 1025" \
	"--key a*b=ade.key" "--key noequals" "--key e=empty.key" "--key big=big.key" \
	"--key a=ade.key --key A=ade.key" "--key README.TXT=ade.key" "--key x=missing.key"; do
	# shellcheck disable=SC2086 # the arguments are split on purpose
	"$KEYVOL" create bad.img $args 2>log && fail "create accepted $args"
	[ -s log ] || fail "no message for $args"
	[ "$(find . -name 'bad.img*' | wc -l)" -eq 0 ] || fail "a file is left after $args"
done

step "6. a block device, where loop devices can be made"
if truncate -s 4M loop.img && dev="$(losetup -f --show loop.img 2>/dev/null)"; then
	trap 'losetup -d "$dev"; rm -rf "$WORK"' EXIT
	"$KEYVOL" create "$dev" --key k=ade.key 2>log || fail "create on $dev failed: $(cat log)"
	check_volume "$dev" "BEK VOLUME" k=ade.key
	"$KEYVOL" create "$dev" 2>/dev/null && fail "create formatted $dev that holds a filesystem"
	check_volume "$dev" "BEK VOLUME" k=ade.key
else
	echo "no loop device here: block device step skipped"
fi
echo "all steps passed"
