#!/bin/bash
# import-ade on sample roots of systems that ADE encrypted (ade-roots/): the
# files it writes must equal expected/import/CASE/, a second run must change
# nothing and say so, ADE's own files must stay as they were, and bad input
# must fail with a message naming file and line. Needs no root.
set -u
ENCRYPT="${BEKBOOT_BUILD:?}/src/encrypt/bekboot-encrypt"
SRC="${BEKBOOT_SOURCE:?}/tests/encrypt"
STEP=setup

fail() {
	echo "FAIL: step $STEP: $*" >&2
	exit 1
}

[ -x "$ENCRYPT" ] || fail "no $ENCRYPT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bekboot-import-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# The state of every file under a root: checksum and inode (an atomic
# rewrite makes a new inode even when the content is the same).
snapshot() {
	(cd "$1" && find . -type f -print0 | sort -z | xargs -0 stat -c '%n %i' &&
		find . -type f -print0 | sort -z | xargs -0 sha256sum)
}

# compare_output ROOT CASE: bekboot's files against the expected ones
compare_output() {
	local root="$1" case="$2" file
	for file in crypttab fstab; do
		if [ -f "$SRC/expected/import/$case/$file" ]; then
			diff -u "$SRC/expected/import/$case/$file" "$root/etc/bekboot/$file" ||
				fail "etc/bekboot/$file differs from expected/import/$case/$file"
		elif [ -e "$root/etc/bekboot/$file" ]; then
			fail "etc/bekboot/$file was written, but no volume needs it"
		fi
	done
}

good_case() {
	local case="$1" root="$WORK/$1" out
	cp -r "$SRC/ade-roots/$case" "$root"
	(cd "$root" && find . -type f ! -path './etc/bekboot/*' -print0 | sort -z |
		xargs -0 sha256sum) >"$WORK/$case.ade"

	STEP="$case-import"
	"$ENCRYPT" import-ade --root "$root" >"$WORK/$case.log" 2>&1 ||
		{ cat "$WORK/$case.log"; fail "import-ade exited with $?"; }
	compare_output "$root" "$case"
	(cd "$root" && sha256sum -c --quiet "$WORK/$case.ade") || fail "ADE's files changed"

	STEP="$case-again"
	snapshot "$root" >"$WORK/$case.before"
	out=$("$ENCRYPT" import-ade --root "$root" 2>&1) || fail "the second run failed: $out"
	grep -q "Nothing to import" <<<"$out" || fail "the second run does not say it changed nothing: $out"
	snapshot "$root" | diff -u "$WORK/$case.before" - || fail "the second run changed files"
}

bad_case() {
	local case="$1" root="$WORK/$1" rc
	cp -r "$SRC/ade-roots/$case" "$root"
	STEP="$case"
	"$ENCRYPT" import-ade --root "$root" >"$WORK/$case.log" 2>&1
	rc=$?
	[ "$rc" -eq 1 ] || fail "import-ade exited with $rc, not 1"
	sed "s|$root|ROOT|g" "$WORK/$case.log" | diff -u "$SRC/expected/import/$case/message" - ||
		fail "wrong message"
	[ ! -e "$root/etc/bekboot" ] || fail "bad input left files in etc/bekboot"
}

for dir in "$SRC"/ade-roots/*/; do
	case=$(basename "$dir")
	case "$case" in
	bad-*) bad_case "$case" ;;
	*) good_case "$case" ;;
	esac
	echo "ok $case"
done
echo PASS
