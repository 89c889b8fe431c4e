# shellcheck shell=bash
# Shared by the key volume tests: numbered steps, a fail() that names the
# step, a private scratch directory, and exit 77 when a tool is missing.

KEYVOL="${BEKBOOT_BUILD:?BEKBOOT_BUILD is not set}/keyvol/bekboot-keyvol"
# shellcheck disable=SC2034 # used by the tests that source this file
EXPECTED="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/expected"
export MTOOLS_SKIP_CHECK=1
export LC_ALL=C
STEP="setup"

step() {
	STEP="$1"
	echo "[$STEP]"
}

fail() {
	echo "FAIL in step $STEP: $*" >&2
	exit 1
}

skip() {
	echo "SKIP: $*" >&2
	exit 77
}

need() {
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "$tool" >/dev/null 2>&1 ||
			skip "$tool is not installed"
	done
}

[ -x "$KEYVOL" ] || fail "$KEYVOL was not built"
PATH="$PATH:/usr/sbin:/sbin"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || fail "cannot enter $WORK"
