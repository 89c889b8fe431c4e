# shellcheck shell=bash
# Shared by the unlocker's host tests: numbered steps, a fail() that names
# the step, LUKS images on loop devices that the exit trap detaches, and a
# runner for bekboot-unlock --test with keys from a directory.

UNLOCK="${BEKBOOT_BUILD:?BEKBOOT_BUILD is not set}/src/unlock/bekboot-unlock"
PATH="$PATH:/usr/sbin:/sbin"
export LC_ALL=C
STEP="setup"
LOOPS=()
MAPPINGS=()
WORK=""

# Indent what a command printed, so that the test log reads as steps.
indent() {
    sed 's/^/    | /'
}

step() {
    STEP="$1"
    echo "== step $STEP"
}

fail() {
    echo "FAIL in step $STEP: $*" >&2
    exit 1
}

skip() {
    echo "SKIP: $*" >&2
    exit 77
}

cleanup() {
    local loop name
    for loop in "${LOOPS[@]}"; do
        losetup -d "$loop" 2>/dev/null || true
    done
    # Detached headers read from a filesystem are copied here for the mapping.
    for name in "${MAPPINGS[@]}"; do
        rm -f "/run/bekboot/headers/$name"
    done
    if [ -n "$WORK" ]; then
        rm -rf "$WORK"
    fi
}

# Attach IMAGE to a free loop device; the device is in $LOOP.
attach() {
    LOOP=$(losetup -f --show "$1") || fail "losetup -f --show $1 failed"
    LOOPS+=("$LOOP")
}

setup() {
    local out
    [ -x "$UNLOCK" ] || fail "$UNLOCK was not built"
    for tool in cryptsetup losetup; do
        command -v "$tool" >/dev/null || fail "$tool is not installed (tools/install-deps)"
    done
    WORK=$(mktemp -d /var/tmp/bekboot-host-test.XXXXXX)
    trap cleanup EXIT
    mkdir "$WORK/keys"
    : >"$WORK/crypttab"
    echo "BOOT_IMAGE=/vmlinuz ro quiet" >"$WORK/cmdline"

    truncate -s 1M "$WORK/probe.img"
    if ! out=$(losetup -f --show "$WORK/probe.img" 2>&1); then
        skip "loop devices are not available here (losetup: $out)"
    fi
    losetup -d "$out"
}

new_uuid() {
    cat /proc/sys/kernel/random/uuid
}

# A key as bekboot generates it: base64 of 127 random bytes, no newline.
make_key() { # FILE
    head -c 127 /dev/urandom | base64 -w 0 >"$1"
}

# Format IMAGE (32 MiB) as LUKS with KEY_FILE and attach it: $LOOP, $UUID.
# Cheap PBKDF2 unless ARGS say otherwise, a fresh UUID so that no other
# test's volume can be taken for this one.
luks_volume() { # NAME TYPE KEY_FILE [cryptsetup luksFormat args...]
    local image="$WORK/$1.img" type="$2" key="$3"
    shift 3
    UUID=$(new_uuid)
    truncate -s 32M "$image"
    cryptsetup luksFormat --batch-mode --type "$type" --pbkdf pbkdf2 \
        --pbkdf-force-iterations 1000 --uuid "$UUID" --key-file "$key" "$@" "$image" ||
        fail "luksFormat of $image failed"
    attach "$image"
}

# Run bekboot-unlock --test on the test's configuration; output in $OUT, exit
# status in $RC, time taken in $MS.
unlock() { # [more arguments...]
    local start
    start=$(date +%s%N)
    RC=0
    OUT=$("$UNLOCK" --test --key-dir "$WORK/keys" --config "$WORK/crypttab" \
        --cmdline "$WORK/cmdline" --timeout 1 "$@" 2>&1) || RC=$?
    # shellcheck disable=SC2034 # read by the tests that time a run
    MS=$((($(date +%s%N) - start) / 1000000))
    # libcryptsetup's own lines (--verbose) are details, left out of the log.
    if [ -n "$OUT" ]; then
        grep -v "libcryptsetup: " <<<"$OUT" | indent || true
    fi
}

expect_exit() { # STATUS WHY
    [ "$RC" -eq "$1" ] || fail "$2: exit status $RC, expected $1"
}

expect_output() { # TEXT
    grep -qF -- "$1" <<<"$OUT" || fail "the output lacks '$1'"
}

# The short fingerprint that bekboot logs for a key: 16 hex digits of SHA-256.
fingerprint() { # FILE
    sha256sum "$1" | cut -c 1-16
}
