#!/bin/bash
# Usage errors of bekboot-encrypt: exit status 2, one line that names the
# problem and points at --help, no usage text dumped, and nothing written
# under --root. Needs no root.
set -u
ENCRYPT="${BEKBOOT_BUILD:?}/src/encrypt/bekboot-encrypt"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

[ -x "$ENCRYPT" ] || fail "no $ENCRYPT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bekboot-usage-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/root/etc"

# expect_usage REGEX ARGS...: exit 2, stderr matches REGEX, at most 2 lines.
expect_usage() {
	local regex=$1 rc lines
	shift
	"$ENCRYPT" "$@" > "$WORK/out" 2> "$WORK/err"
	rc=$?
	[ "$rc" -eq 2 ] || fail "'$*': exit status $rc, expected 2: $(cat "$WORK/err")"
	grep -Eq -- "$regex" "$WORK/err" || fail "'$*': no /$regex/ in: $(cat "$WORK/err")"
	grep -q -- "--help" "$WORK/err" || fail "'$*': no pointer to --help: $(cat "$WORK/err")"
	lines=$(wc -l < "$WORK/err")
	[ "$lines" -le 2 ] || fail "'$*': $lines lines on stderr, expected the cause only"
	[ ! -s "$WORK/out" ] || fail "'$*': wrote to standard output: $(cat "$WORK/out")"
}

expect_usage "No command given"
expect_usage "Unknown command 'encrypt'" encrypt /dev/null
expect_usage "Wrong arguments for data" data
expect_usage "Wrong arguments for status" status extra --root "$WORK/root"
expect_usage "--root needs an absolute path, not 'relative'" data /dev/null --root relative
expect_usage "unrecognized option '--bogus'" --bogus
expect_usage "is not a multiple of 4096" data /dev/null --hotzone-size 1000

[ -z "$(find "$WORK/root" -mindepth 1 -not -path "$WORK/root/etc")" ] ||
	fail "files appeared under --root: $(find "$WORK/root" -mindepth 1)"

"$ENCRYPT" --help > "$WORK/out" 2>&1 || fail "--help: exit status $?"
grep -q "^Usage:" "$WORK/out" || fail "--help prints no usage"
echo "PASS"
