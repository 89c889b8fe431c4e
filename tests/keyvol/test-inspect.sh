#!/bin/bash
# inspect: the report on good and deliberately broken volumes, compared with
# the expected output under expected/. KEYVOL_BLESS=1 rewrites those files.
# shellcheck source=tests/keyvol/lib.sh
. "$(dirname "$0")/lib.sh"
need mkfs.fat mcopy mmd

# Fixed keys, so that sizes and fingerprints are the same on every run.
head -c 127 /dev/zero | tr '\0' 'k' | base64 -w0 | tr -d '\n' >ade.key
printf 'data disk key' >data.key

volume() { # IMAGE [create options]
	local image="$1"
	shift
	"$KEYVOL" create "$image" --size 1 "$@" 2>/dev/null || fail "create $image failed"
}

compare() { # NAME IMAGE [inspect options]
	local name="$1" image="$2" status
	shift 2
	"$KEYVOL" inspect "$image" "$@" >"$name.out" 2>"$name.err"
	status=$?
	echo "exit status: $status" >>"$name.out"
	if [ -n "${KEYVOL_BLESS:-}" ]; then
		cp "$name.out" "$EXPECTED/$name.txt"
		return
	fi
	diff -u "$EXPECTED/$name.txt" "$name.out" || fail "inspect $image differs from $name.txt"
	[ ! -s "$name.err" ] || fail "inspect $image logged: $(cat "$name.err")"
}

step "1. a good volume, as text and as JSON"
volume good.img --key LinuxPassPhraseFileName=ade.key --key LinuxPassPhraseFileName_0_1=data.key
compare good good.img
compare good-json good.img --json
! grep -qF "$(cat ade.key)" good.out good-json.out || fail "a key appears in the report"

step "2. the wrong label, and the label asked for"
volume wrong-label.img --label "OTHER" --key LinuxPassPhraseFileName=ade.key
compare wrong-label wrong-label.img
compare other-label wrong-label.img --label OTHER

step "3. no filesystem, and a filesystem that is not vfat"
head -c 1048576 /dev/zero >blank.img
compare blank blank.img
if command -v mkfs.ext2 >/dev/null; then
	head -c 1048576 /dev/zero >ext2.img
	mkfs.ext2 -q -F ext2.img >/dev/null 2>&1 || fail "mkfs.ext2 failed"
	compare not-vfat ext2.img
else
	echo "mkfs.ext2 is missing: not-vfat case skipped"
fi

step "4. no key file"
volume no-key.img
compare no-key no-key.img

step "5. empty, oversized and trailing newline keys"
volume bad-keys.img --key LinuxPassPhraseFileName=ade.key
printf '' | mcopy -i bad-keys.img - ::/LinuxPassPhraseFileName_0_1
head -c 9000 /dev/zero | mcopy -i bad-keys.img - ::/LinuxPassPhraseFileName_0_2
printf 'with newline\n' | mcopy -i bad-keys.img - ::/LinuxPassPhraseFileName_0_3
compare bad-keys bad-keys.img
compare bad-keys-json bad-keys.img --json

step "6. non-regular entries and names that cannot be read literally"
volume odd.img --key LinuxPassPhraseFileName=ade.key
mmd -i odd.img ::/keys
printf 'x' | mcopy -i odd.img - '::/key[1]'
compare odd odd.img

step "7. failures to read at all"
"$KEYVOL" inspect missing.img >out 2>log
[ $? -eq 1 ] || fail "inspect of a missing file does not exit with 1"
grep -q "Failed to read missing.img: No such file or directory" log ||
	fail "unclear message: $(cat log)"
"$KEYVOL" inspect 2>/dev/null
[ $? -eq 2 ] || fail "inspect without an argument does not exit with 2"
echo "all steps passed"
