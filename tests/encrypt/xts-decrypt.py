#!/usr/bin/python3
# Test oracle, independent of libcryptsetup: decrypts the data segment of a
# LUKS2 aes-xts-plain64 volume with the given volume key (hex) using the
# Python "cryptography" AES-XTS implementation.
# usage: xts-decrypt.py DEVICE OFFSET LENGTH SECTOR_SIZE KEYHEX OUTPUT
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def main():
    device, offset, length, sector, keyhex, output = sys.argv[1:7]
    offset, length, sector = int(offset), int(length), int(sector)
    key = bytes.fromhex(keyhex)
    chunk = 1 << 20
    with open(device, "rb") as src, open(output, "wb") as dst:
        src.seek(offset)
        done = 0
        while done < length:
            data = src.read(min(chunk, length - done))
            if not data:
                sys.exit("short read at %d" % (offset + done))
            out = bytearray()
            for i in range(0, len(data), sector):
                # plain64: the IV counts 512-byte sectors from the segment start
                iv = ((done + i) // 512).to_bytes(16, "little")
                dec = Cipher(algorithms.AES(key), modes.XTS(iv)).decryptor()
                out += dec.update(data[i:i + sector]) + dec.finalize()
            dst.write(out)
            done += len(data)


main()
