#!/bin/sh
# dracut emergency hook: before the shell starts, shows what bekboot could
# not unlock and how to unlock by hand.

# shellcheck source=/dev/null # dracut-lib.sh exists only in the initramfs
type warn > /dev/null 2>&1 || . /lib/dracut-lib.sh

if [ -s /run/bekboot/rescue.txt ]; then
    while IFS= read -r _bb_line || [ -n "$_bb_line" ]; do
        warn "$_bb_line"
    done < /run/bekboot/rescue.txt
    unset _bb_line
fi
