# shellcheck shell=bash
# shellcheck disable=SC2034 # the VM_* results are read by the scripts that source this file
# Shared parts of the VM boot tests, the demo and the boot benchmark: the
# guest kernel from the Debian archive, disk images built on the host, the
# initramfs images (dracut, initramfs-tools) built in a private mount
# namespace, and a QEMU runner that stops at the first terminal line.
#
# Sourced by tests/vm/run, tools/demo and bench/boot. Needs root (mount
# namespaces), qemu-system-x86_64, cryptsetup, dracut-core,
# initramfs-tools-core, busybox-static, mtools and dosfstools.
#
# Environment:
#   BEKBOOT_CACHE    downloads and the extracted kernel (/var/cache/bekboot)
#   BEKBOOT_VM_WORK  images, initramfs images and logs (/var/tmp/bekboot-vm)
#   BEKBOOT_BUILD    a configured meson build directory (default: build-vm)
#   BEKBOOT_VM_APPEND  more kernel command line for every boot (debugging)
#   BEKBOOT_VM_TIMEOUT hard timeout of one boot in seconds (180)

VM_SOURCE=${BEKBOOT_SOURCE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
VM_CACHE=${BEKBOOT_CACHE:-/var/cache/bekboot}
VM_WORK=${BEKBOOT_VM_WORK:-/var/tmp/bekboot-vm}
VM_BUILD=${BEKBOOT_BUILD:-$VM_SOURCE/build-vm}
VM_STAGE=$VM_WORK/stage
VM_IMAGES=$VM_WORK/images
VM_INITRDS=$VM_WORK/initrd
VM_LOGS=$VM_WORK/logs

# Fixed identifiers, so that an initramfs built once matches every image.
VM_ROOT_UUID=6b6f6f74-0001-4b65-9b1e-000000000001
VM_DATA1_UUID=6b6f6f74-0002-4b65-9b1e-000000000002
VM_DATA2_UUID=6b6f6f74-0003-4b65-9b1e-000000000003
VM_ADE_PARTUUID=6b6f6f74-0004-4b65-9b1e-000000000004
VM_ADE_BOOT_UUID=6b6f6f74-0005-4b65-9b1e-000000000005
VM_ADE_INIT_FS_UUID=6b6f6f74-0008-4b65-9b1e-000000000008
VM_KEY_NAME=LinuxPassPhraseFileName
VM_MARKER=BEKBOOT-VM-ROOT-OK
# Bump when the recipe of the disk images changes.
VM_IMAGES_VERSION=4

# Serial console lines that end a boot, as "kind:regex", first match wins.
VM_TERMINAL_PATTERNS=(
    "root:$VM_MARKER"
    "rescue:Entering emergency mode|Dropping to debug shell|built-in shell \\(ash\\)|You are in emergency mode|Rebooting automatically due to panic"
    "prompt:Enter passphrase|Please enter passphrase"
    "panic:Kernel panic - not syncing"
)

VM_STEP=""
shopt -s extglob

step() {
    VM_STEP=$*
    printf '==> %s\n' "$*"
}

fail() {
    printf 'FAIL [%s]: %s\n' "${VM_STEP:-setup}" "$*" >&2
    exit 1
}

skip() {
    printf 'SKIP: %s\n' "$*" >&2
    exit 77
}

vm_require() {
    local tool missing=()

    [[ $EUID -eq 0 ]] || skip "the VM tests need root (mount namespaces, device nodes in images)."
    for tool in qemu-system-x86_64 cryptsetup dracut mkinitramfs mkfs.fat mcopy mkfs.ext4 \
        sfdisk unshare socat zstd cpio apt-get dpkg-deb depmod; do
        command -v "$tool" > /dev/null || missing+=("$tool")
    done
    [[ -x /bin/busybox ]] || missing+=(busybox-static)
    ((${#missing[@]} == 0)) || skip "missing tools: ${missing[*]} (run tools/install-deps)."
    mkdir -p "$VM_WORK" "$VM_IMAGES" "$VM_INITRDS" "$VM_LOGS" "$VM_WORK/tmp"
}

# Serialises the preparation steps between concurrent runs.
vm_lock() {
    exec {VM_LOCK_FD}> "$VM_WORK/.lock"
    flock "$VM_LOCK_FD"
}

vm_unlock() {
    [[ -n ${VM_LOCK_FD:-} ]] && exec {VM_LOCK_FD}>&-
    VM_LOCK_FD=""
}

# --- kernel ---------------------------------------------------------------

# Downloads linux-image-cloud-amd64 and the image package it depends on,
# unpacks it and runs depmod, once; sets VM_KVER, VM_KROOT, VM_VMLINUZ.
vm_kernel() {
    local dir=$VM_CACHE/kernel meta image_pkg deb
    VM_KROOT=$dir/root

    if ! compgen -G "$VM_KROOT/boot/vmlinuz-*" > /dev/null; then
        mkdir -p "$dir"
        rm -rf "$VM_KROOT" "$VM_KROOT.tmp"
        (cd "$dir" && apt-get download linux-image-cloud-amd64) \
            || fail "cannot download linux-image-cloud-amd64 (apt-get update first?)."
        meta=$(find "$dir" -maxdepth 1 -name 'linux-image-cloud-amd64_*.deb' | sort -V | tail -n 1)
        image_pkg=$(dpkg-deb -f "$meta" Depends | grep -o 'linux-image-[0-9][^ ,(]*-cloud-amd64' | head -n 1)
        [[ -n $image_pkg ]] || fail "cannot find the kernel image package that $meta depends on."
        (cd "$dir" && apt-get download "$image_pkg") || fail "cannot download $image_pkg."
        deb=$(find "$dir" -maxdepth 1 -name "${image_pkg}_*.deb" | sort -V | tail -n 1)
        dpkg -x "$deb" "$VM_KROOT.tmp" || fail "cannot unpack $deb."
        VM_KVER=${image_pkg#linux-image-}
        depmod -b "$VM_KROOT.tmp" "$VM_KVER" || fail "depmod failed for $VM_KVER."
        mv "$VM_KROOT.tmp" "$VM_KROOT"
    fi
    VM_VMLINUZ=$(find "$VM_KROOT/boot" -maxdepth 1 -name 'vmlinuz-*' | sort -V | tail -n 1)
    VM_KVER=${VM_VMLINUZ##*/vmlinuz-}
    [[ -f $VM_KROOT/lib/modules/$VM_KVER/modules.dep ]] || fail "no modules.dep for $VM_KVER in $VM_KROOT."
}

# --- bekboot build and staging ----------------------------------------------

# Builds bekboot and installs it into VM_STAGE (a DESTDIR).
vm_stage() {
    if [[ ! -f $VM_BUILD/build.ninja ]]; then
        meson setup "$VM_BUILD" "$VM_SOURCE" --prefix=/usr > "$VM_LOGS/meson-setup.log" 2>&1 \
            || fail "meson setup failed; see $VM_LOGS/meson-setup.log."
    fi
    ninja -C "$VM_BUILD" > "$VM_LOGS/ninja.log" 2>&1 || fail "the build failed; see $VM_LOGS/ninja.log."
    rm -rf "$VM_STAGE"
    DESTDIR=$VM_STAGE meson install -C "$VM_BUILD" --no-rebuild --quiet > "$VM_LOGS/install.log" 2>&1 \
        || fail "meson install failed; see $VM_LOGS/install.log."
    VM_UNLOCK=$(find "$VM_STAGE" -path '*/sbin/bekboot-unlock' -type f | head -n 1)
    [[ -n $VM_UNLOCK ]] || fail "the staged install has no bekboot-unlock."
    VM_KEYVOL=$(find "$VM_STAGE" -path '*bin/bekboot-keyvol' -type f | head -n 1)
    VM_ENCRYPT=$(find "$VM_STAGE" -path '*bin/bekboot-encrypt' -type f | head -n 1)
}

# --- disk images -------------------------------------------------------------

# An ADE-style key: base64 of 127 random bytes, 172 characters, no newline.
vm_make_key() {
    head -c 127 /dev/urandom | base64 -w 0 > "$1"
}

# vm_make_keyvol IMAGE NAME=FILE...: a vfat key volume labelled "BEK VOLUME".
vm_make_keyvol() {
    local image=$1 pair
    shift

    rm -f "$image"
    if [[ -n ${VM_KEYVOL:-} ]]; then
        local args=()
        for pair in "$@"; do
            args+=(--key "$pair")
        done
        "$VM_KEYVOL" create "$image" "${args[@]}" > /dev/null \
            || fail "bekboot-keyvol create $image failed."
        return
    fi
    mkfs.fat -C -n "BEK VOLUME" "$image" 4096 > /dev/null || fail "mkfs.fat $image failed."
    for pair in "$@"; do
        mcopy -i "$image" "${pair#*=}" "::/${pair%%=*}" || fail "mcopy into $image failed."
    done
}

# The guest's root filesystem tree: static busybox and an init that reports
# what it finds and powers off.
vm_make_rootfs() {
    local tree=$1

    rm -rf "$tree"
    mkdir -p "$tree"/{bin,sbin,etc,proc,sys,dev,run,tmp,mnt}
    cp /bin/busybox "$tree/bin/busybox"
    ln -s busybox "$tree/bin/sh"
    install -m 0755 "$VM_SOURCE/tests/vm/guest-init" "$tree/sbin/init"
    # systemd's switch-root refuses a root without os-release.
    printf 'NAME="bekboot test root"\nID=bekboot-test\n' > "$tree/etc/os-release"
}

# vm_make_ext4 IMAGE SIZE_MIB TREE UUID LABEL
vm_make_ext4() {
    rm -f "$1"
    truncate -s "${2}M" "$1"
    mkfs.ext4 -q -F -U "$4" -L "$5" -d "$3" "$1" || fail "mkfs.ext4 $1 failed."
}

VM_PBKDF2=(--pbkdf pbkdf2 --pbkdf-force-iterations 1000)
VM_ARGON2_1G=(--pbkdf argon2id --pbkdf-memory 1048576 --pbkdf-parallel 2 --pbkdf-force-iterations 4)

# vm_encrypt_in_place IMAGE UUID KEYFILE PBKDF-ARGS...: LUKS2 in place, data
# shifted by 8 MiB (the file grows by 16 MiB first), no device-mapper needed.
vm_encrypt_in_place() {
    local image=$1 uuid=$2 key=$3
    shift 3

    truncate -s +16M "$image"
    cryptsetup reencrypt --batch-mode --encrypt --type luks2 --reduce-device-size 16M \
        --uuid "$uuid" --key-file "$key" "$@" "$image" > /dev/null \
        || fail "cryptsetup reencrypt --encrypt $image failed."
}

# vm_make_data_volume IMAGE UUID KEYFILE: an empty LUKS2 volume.
vm_make_data_volume() {
    rm -f "$1"
    truncate -s 24M "$1"
    cryptsetup luksFormat --batch-mode --type luks2 --uuid "$2" --key-file "$3" \
        "${VM_PBKDF2[@]}" "$1" > /dev/null || fail "cryptsetup luksFormat $1 failed."
}

# ADE layout on one GPT disk: partition 1 is /boot with the detached header
# /luks/osluksheader, partition 2 the root encrypted with that header.
# With init-only, the root filesystem (UUID FS-UUID) is still plain: the
# reencryption is initialised in the header and nothing else, as
# `bekboot-encrypt os` leaves it before the staging root.
vm_make_ade_disk() { # IMAGE TREE KEY [init-only FS-UUID]
    local image=$1 tree=$2 key=$3 dir=$VM_IMAGES/ade.tmp init=() fs_uuid

    fs_uuid=${5:-$(cat /proc/sys/kernel/random/uuid)}
    [[ ${4:-} != init-only ]] || init=(--init-only)
    rm -rf "$dir"
    mkdir -p "$dir/boot/luks"
    vm_make_ext4 "$dir/root.part" 40 "$tree" "$fs_uuid" ade-root
    cryptsetup reencrypt --batch-mode --encrypt --type luks2 --header "$dir/boot/luks/osluksheader" \
        --key-file "$key" "${VM_PBKDF2[@]}" "${init[@]}" "$dir/root.part" > /dev/null \
        || fail "cryptsetup reencrypt --encrypt --header ${init[*]} failed."
    vm_make_ext4 "$dir/boot.part" 40 "$dir/boot" "$VM_ADE_BOOT_UUID" boot
    rm -f "$image"
    truncate -s 84M "$image"
    sfdisk --quiet "$image" << EOF || fail "sfdisk $image failed."
label: gpt
start=1MiB, size=40MiB, type=linux, name=boot
start=41MiB, size=40MiB, type=linux, uuid=$VM_ADE_PARTUUID, name=root
EOF
    dd if="$dir/boot.part" of="$image" bs=1M seek=1 conv=notrunc status=none
    dd if="$dir/root.part" of="$image" bs=1M seek=41 conv=notrunc status=none
    rm -rf "$dir"
}

# Builds every disk image the scenarios use, once (VM_IMAGES_VERSION).
vm_images() {
    local d=$VM_IMAGES stamp="$VM_IMAGES/.version" k=$VM_IMAGES/keys

    if [[ -f $stamp ]] && [[ $(cat "$stamp") == "$VM_IMAGES_VERSION ${VM_KEYVOL:+keyvol}" ]]; then
        return 0
    fi
    rm -rf "$d"
    mkdir -p "$d" "$k"
    vm_make_key "$k/root"
    vm_make_key "$k/data1"
    vm_make_key "$k/data2"
    vm_make_key "$k/wrong"

    vm_make_rootfs "$d/rootfs"
    vm_make_ext4 "$d/root-plain.img" 40 "$d/rootfs" "$(cat /proc/sys/kernel/random/uuid)" bkplain
    cp "$d/root-plain.img" "$d/root.img"
    vm_encrypt_in_place "$d/root.img" "$VM_ROOT_UUID" "$k/root" "${VM_PBKDF2[@]}"
    cp "$d/root-plain.img" "$d/root-argon2.img"
    vm_encrypt_in_place "$d/root-argon2.img" "$VM_ROOT_UUID" "$k/root" "${VM_ARGON2_1G[@]}"
    vm_make_data_volume "$d/data1.img" "$VM_DATA1_UUID" "$k/data1"
    vm_make_data_volume "$d/data2.img" "$VM_DATA2_UUID" "$k/data2"
    vm_make_ade_disk "$d/ade.img" "$d/rootfs" "$k/root"
    vm_make_ade_disk "$d/ade-init.img" "$d/rootfs" "$k/root" init-only "$VM_ADE_INIT_FS_UUID"

    vm_make_keyvol "$d/bek.img" "$VM_KEY_NAME=$k/root" \
        "${VM_KEY_NAME}_0_1=$k/data1" "${VM_KEY_NAME}_0_2=$k/data2"
    vm_make_keyvol "$d/bek-wrong.img" "$VM_KEY_NAME=$k/wrong"
    # Rotation: the stale key keeps the configured name; the new one is a
    # second file that only the fallback lookup finds.
    vm_make_keyvol "$d/bek-rotated.img" "$VM_KEY_NAME=$k/wrong" \
        "${VM_KEY_NAME}_rotated=$k/root" "${VM_KEY_NAME}_0_1=$k/data1" "${VM_KEY_NAME}_0_2=$k/data2"
    echo "$VM_IMAGES_VERSION ${VM_KEYVOL:+keyvol}" > "$stamp"
}

# The crypttab of the test system, with the fixed UUIDs of the images.
vm_crypttab() {
    printf '%s\n' \
        "# name     device                                       key                              options" \
        "osencrypt  UUID=$VM_ROOT_UUID  bek                              luks,root" \
        "data1      UUID=$VM_DATA1_UUID  bek:${VM_KEY_NAME}_0_1  luks,nofail" \
        "data2      UUID=$VM_DATA2_UUID  bek:${VM_KEY_NAME}_0_2  luks,nofail"
}

VM_PEER_PKG=$VM_CACHE/pkg/cryptsetup-initramfs

# cryptsetup-initramfs cannot be installed next to dracut-core (it pulls in
# the initramfs-tools metapackage): unpack it into the cache instead.
vm_fetch_cryptsetup_initramfs() {
    local deb

    [[ -d $VM_PEER_PKG/usr/share/initramfs-tools/hooks ]] && return 0
    mkdir -p "$VM_CACHE/pkg"
    deb=$(find "$VM_CACHE/pkg" -maxdepth 1 -name 'cryptsetup-initramfs_*.deb' | sort -V | tail -n 1)
    if [[ -z $deb ]]; then
        (cd "$VM_CACHE/pkg" && apt-get download cryptsetup-initramfs) \
            || fail "cannot download cryptsetup-initramfs."
        deb=$(find "$VM_CACHE/pkg" -maxdepth 1 -name 'cryptsetup-initramfs_*.deb' | sort -V | tail -n 1)
    fi
    rm -rf "$VM_PEER_PKG"
    dpkg -x "$deb" "$VM_PEER_PKG" || fail "cannot unpack $deb."
}

# --- initramfs images --------------------------------------------------------

# vm_in_namespace USR_LAYERS ETC_LAYERS COMMAND...: runs COMMAND in a private
# mount namespace where /usr and /etc are read-only overlays with the given
# layers (colon-separated, may be empty) on top, the guest kernel's modules
# are under /usr/lib/modules and its config under /boot. The host sees none
# of it.
vm_in_namespace() {
    local usr_layers=$1 etc_layers=$2 scratch=$VM_WORK/ns
    shift 2

    mkdir -p "$scratch"
    # shellcheck disable=SC2016 # the script expands its own arguments
    unshare -m --propagation private -- bash -euo pipefail -c '
        scratch=$1 kroot=$2 usr_layers=$3 etc_layers=$4
        shift 4
        mount -t tmpfs bekboot-ns "$scratch"
        mkdir "$scratch"/usr-upper "$scratch"/usr-work "$scratch"/etc-upper "$scratch"/etc-work
        mount -t overlay overlay \
            -o "lowerdir=${usr_layers:+$usr_layers:}/usr,upperdir=$scratch/usr-upper,workdir=$scratch/usr-work" /usr
        mount -t overlay overlay \
            -o "lowerdir=${etc_layers:+$etc_layers:}/etc,upperdir=$scratch/etc-upper,workdir=$scratch/etc-work" /etc
        mkdir -p /usr/lib/modules
        mount --bind "$kroot/lib/modules" /usr/lib/modules
        mount --bind "$kroot/boot" /boot
        exec "$@"
    ' bekboot-ns "$scratch" "$VM_KROOT" "$usr_layers" "$etc_layers" "$@"
}

VM_DRACUT_DRIVERS="virtio_pci virtio_blk ext4"
VM_DRACUT_SYSTEMD_MODULES="systemd systemd-initrd dracut-systemd"

# vm_dracut OUT ETC_LAYER USR_LAYERS MODULES [DRIVERS]
vm_dracut() {
    local out=$1 etc=$2 usr=$3 modules=$4 drivers=${5:-$VM_DRACUT_DRIVERS}

    mkdir -p "$VM_WORK/empty"
    vm_in_namespace "$usr" "$etc" dracut --conf /dev/null --confdir "$VM_WORK/empty" \
        --no-hostonly --force --kver "$VM_KVER" --tmpdir "$VM_WORK/tmp" \
        -m "$modules" --add-drivers "$drivers" "$out" > "$out.log" 2>&1
}

# vm_mkinitramfs OUT ETC_LAYER USR_LAYERS
vm_mkinitramfs() {
    local out=$1 etc=$2 usr=$3

    vm_in_namespace "$usr" "$etc" env TMPDIR="$VM_WORK/tmp" \
        mkinitramfs -o "$out" "$VM_KVER" > "$out.log" 2>&1
}

# The /etc layer of a bekboot build: the configuration (variant "main": the
# crypttab; "none": nothing) and initramfs-tools' module list.
vm_etc_layer() {
    local variant=$1 dir=$VM_WORK/etc-$1

    rm -rf "$dir"
    mkdir -p "$dir/initramfs-tools"
    printf '%s\n' virtio_pci virtio_blk > "$dir/initramfs-tools/modules"
    if [[ $variant == main ]] || [[ $variant == coexist ]]; then
        mkdir -p "$dir/bekboot"
        vm_crypttab > "$dir/bekboot/crypttab"
    fi
    if [[ $variant == coexist ]]; then
        # cryptsetup-initramfs lists the root too, with its own name and key
        # path (the backslash of the label in octal: crypttab(5)).
        cp -a "$VM_PEER_PKG/etc/." "$dir/"
        printf 'osencrypt UUID=%s /dev/disk/by-label/BEK\\134x20VOLUME:/%s luks,initramfs,keyscript=passdev\n' \
            "$VM_ROOT_UUID" "$VM_KEY_NAME" > "$dir/crypttab"
    fi
    echo "$dir"
}

VM_GENERATORS=(dracut dracut-nosd initramfs-tools)

# vm_initrd GENERATOR VARIANT: builds (or reuses) the bekboot initramfs of a
# generator ("dracut": systemd in the initramfs; "dracut-nosd": without;
# "initramfs-tools") and configuration variant ("main": the test crypttab;
# "none": no configuration; "coexist": initramfs-tools only, with
# cryptsetup-initramfs listing the root too); sets VM_INITRD.
vm_initrd() {
    local gen=$1 variant=$2 out etc inputs stamp

    out=$VM_INITRDS/bekboot-$gen-$variant.img
    stamp=$out.inputs
    inputs=$({
        echo "$gen $variant $VM_KVER"
        vm_crypttab
        (cd "$VM_STAGE" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
    } | sha256sum)
    if [[ -s $out ]] && [[ -f $stamp ]] && [[ $(cat "$stamp") == "$inputs" ]]; then
        VM_INITRD=$out
        return 0
    fi

    etc=$(vm_etc_layer "$variant")
    rm -f "$out" "$stamp"
    case $gen in
        dracut)
            vm_dracut "$out" "$etc" "$VM_STAGE/usr" "$VM_DRACUT_SYSTEMD_MODULES base bekboot"
            ;;
        dracut-nosd)
            vm_dracut "$out" "$etc" "$VM_STAGE/usr" "base bekboot"
            ;;
        initramfs-tools)
            if [[ $variant == coexist ]]; then
                vm_mkinitramfs "$out" "$etc" "$VM_STAGE/usr:$VM_PEER_PKG/usr"
            else
                vm_mkinitramfs "$out" "$etc" "$VM_STAGE/usr"
            fi
            ;;
        *)
            fail "unknown generator $gen."
            ;;
    esac || fail "building the $gen initramfs ($variant) failed; see $out.log."
    [[ -s $out ]] || fail "the $gen initramfs ($variant) is empty; see $out.log."
    echo "$inputs" > "$stamp"
    VM_INITRD=$out
}

# Lists the files of an initramfs image (any compression, early cpio too).
vm_initrd_list() {
    if command -v lsinitrd > /dev/null && lsinitrd "$1" > /dev/null 2>&1; then
        lsinitrd "$1" 2> /dev/null
    else
        unmkinitramfs -v "$1" "$VM_WORK/tmp/unpacked.$$" 2> /dev/null
        rm -rf "$VM_WORK/tmp/unpacked.$$"
    fi
}

# --- QEMU --------------------------------------------------------------------

# What vm_boot reads: the initramfs, kernel command line (console= is
# added), guest memory (MiB), hard timeout (s), disks as SERIAL=FILE, and
# disks hot-plugged later as SECONDS:SERIAL=FILE, SECONDS counted from the
# first console line that matches VM_HOTPLUG_AFTER (from QEMU start if
# empty).
VM_INITRD=""
VM_APPEND=""
VM_MEM=1024
VM_TIMEOUT=${BEKBOOT_VM_TIMEOUT:-180}
VM_DISKS=()
VM_HOTPLUG=()
VM_HOTPLUG_AFTER=""

# Reads the serial console from stdin, writes it with the time since QEMU
# started to LOG, creates the file TRIGGER at the first line that matches
# VM_HOTPLUG_AFTER, and stops QEMU at the first terminal line (at once for
# the marker, two seconds later otherwise, so that what follows is logged).
vm_watch() {
    local start=$1 log=$2 result=$3 pidfile=$4 trigger=$5 line now kind pattern entry found=""

    while IFS= read -r line; do
        now=$((${EPOCHREALTIME/./} - start))
        line=${line//$'\r'/}
        line=${line//$'\e'\[*([0-9;?])[A-Za-z]/}
        printf '[%4d.%03d] %s\n' $((now / 1000000)) $((now / 1000 % 1000)) "$line" >> "$log"
        if [[ ! -e $trigger ]] && [[ -n $VM_HOTPLUG_AFTER ]] && [[ $line =~ $VM_HOTPLUG_AFTER ]]; then
            : > "$trigger"
        fi
        [[ -n $found ]] && continue
        for entry in "${VM_TERMINAL_PATTERNS[@]}"; do
            kind=${entry%%:*}
            pattern=${entry#*:}
            if [[ $line =~ $pattern ]]; then
                found=$kind
                printf '%s %d.%03d\n' "$kind" $((now / 1000000)) $((now / 1000 % 1000)) > "$result"
                if [[ $kind == root ]]; then
                    kill "$(cat "$pidfile" 2> /dev/null)" 2> /dev/null || true
                else
                    (sleep 2 && kill "$(cat "$pidfile" 2> /dev/null)" 2> /dev/null) &
                fi
                break
            fi
        done
    done
}

# vm_hotplug SOCKET SECONDS ID SERIAL FILE TRIGGER: waits for the file
# TRIGGER, then SECONDS, then plugs FILE in as a virtio disk.
vm_hotplug() {
    while [[ ! -e $6 ]]; do
        sleep 0.2
    done
    sleep "$2"
    printf '%s\n' \
        "drive_add 0 if=none,id=$3,file=$5,format=raw,snapshot=on" \
        "device_add virtio-blk-pci,drive=$3,id=$3-dev,serial=$4" \
        | socat - "UNIX-CONNECT:$1" > /dev/null 2>&1
}

# vm_boot NAME: boots the guest; the console goes to VM_LOGS/NAME.log. Sets
# VM_RESULT (root, rescue, prompt, panic, exit or timeout), VM_SECONDS (QEMU
# start to that line) and VM_LOG.
vm_boot() {
    local name=$1 run=$VM_WORK/run/$1 args=() spec serial file i=0 status hotplug_pids=()

    rm -rf "$run"
    mkdir -p "$run"
    VM_LOG=$VM_LOGS/$name.log
    : > "$VM_LOG"
    args=(-accel tcg -machine pc -smp 1 -m "$VM_MEM" -nodefaults -no-user-config
        -display none -vga none -no-reboot -serial stdio
        -monitor "unix:$run/monitor,server=on,wait=off" -pidfile "$run/pid"
        -kernel "$VM_VMLINUZ" -initrd "$VM_INITRD" -append "console=ttyS0 $VM_APPEND ${BEKBOOT_VM_APPEND:-}")
    for spec in "${VM_DISKS[@]}"; do
        serial=${spec%%=*}
        file=${spec#*=}
        args+=(-drive "if=none,id=disk$i,file=$file,format=raw,snapshot=on"
            -device "virtio-blk-pci,drive=disk$i,serial=$serial")
        i=$((i + 1))
    done

    local start=${EPOCHREALTIME/./}
    [[ -n $VM_HOTPLUG_AFTER ]] || : > "$run/trigger"
    for spec in "${VM_HOTPLUG[@]}"; do
        serial=${spec#*:}
        file=${serial#*=}
        serial=${serial%%=*}
        vm_hotplug "$run/monitor" "${spec%%:*}" "hot$i" "$serial" "$file" "$run/trigger" &
        hotplug_pids+=($!)
        i=$((i + 1))
    done

    set +e
    TMPDIR=$VM_WORK/tmp timeout -s KILL "$VM_TIMEOUT" qemu-system-x86_64 "${args[@]}" \
        < /dev/null 2> "$run/qemu.stderr" | vm_watch "$start" "$VM_LOG" "$run/result" "$run/pid" "$run/trigger"
    status=${PIPESTATUS[0]}
    set -e
    for i in "${hotplug_pids[@]}"; do
        kill "$i" 2> /dev/null || true
        wait "$i" 2> /dev/null || true
    done

    if [[ -s $run/result ]]; then
        read -r VM_RESULT VM_SECONDS < "$run/result"
    else
        local now=$((${EPOCHREALTIME/./} - start))
        VM_SECONDS=$(printf '%d.%03d' $((now / 1000000)) $((now / 1000 % 1000)))
        if ((status == 137)); then
            VM_RESULT=timeout
        else
            VM_RESULT="exit"
        fi
    fi
    if [[ -s $run/qemu.stderr ]]; then
        sed 's/^/qemu: /' "$run/qemu.stderr" >> "$VM_LOG"
    fi
}

# vm_marker_field NAME: the value of NAME= on the marker's report lines.
vm_marker_field() {
    sed -n "s/.*BEKBOOT-VM: $1=\\(.*\\)\$/\\1/p" "$VM_LOG" | tail -n 1
}

# --- running scenarios side by side --------------------------------------------

# A TCG guest keeps about one host core busy: by default as many guests run
# at once as the host has cores, at most 2 (BEKBOOT_VM_JOBS overrides).
VM_JOBS=${BEKBOOT_VM_JOBS:-$(($(nproc) < 2 ? 1 : 2))}
declare -A VM_RUNNING=()
VM_PASSED=0
VM_SKIPPED=0
VM_FAILED=()

# vm_run_start NAME COMMAND...: runs COMMAND in the background once fewer
# than VM_JOBS are running. Its exit status 0 passes, 77 skips; its output is
# printed whole when it ends, so that runs side by side do not interleave.
vm_run_start() {
    local name=$1

    shift
    while ((${#VM_RUNNING[@]} >= VM_JOBS)); do
        vm_run_reap
    done
    mkdir -p "$VM_WORK/out"
    # Tested with ||, as a scenario always was: it fails through fail, not set -e.
    { "$@" || exit; } > "$VM_WORK/out/${name//\//-}" 2>&1 &
    VM_RUNNING[$!]=$name
}

# Waits for one background run to end and counts its result.
vm_run_reap() {
    local pid status=0 name

    wait -n -p pid "${!VM_RUNNING[@]}" || status=$?
    name=${VM_RUNNING[$pid]}
    unset "VM_RUNNING[$pid]"
    cat "$VM_WORK/out/${name//\//-}"
    case $status in
        0) VM_PASSED=$((VM_PASSED + 1)) ;;
        77) VM_SKIPPED=$((VM_SKIPPED + 1)) ;;
        *) VM_FAILED+=("$name") ;;
    esac
}

# Waits for every run and prints the count; fails when one failed.
vm_run_finish() {
    while ((${#VM_RUNNING[@]})); do
        vm_run_reap
    done
    printf '%d passed, %d failed, %d skipped%s\n' "$VM_PASSED" "${#VM_FAILED[@]}" \
        "$VM_SKIPPED" "${VM_FAILED[*]:+: ${VM_FAILED[*]}}"
    ((${#VM_FAILED[@]} == 0))
}
