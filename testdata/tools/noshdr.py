#!/usr/bin/env python3
"""Copy an ELF file with its section header table unreferenced.

Sets e_shoff, e_shnum and e_shstrndx to 0, as tools that drop section headers
do; the bytes of the old table stay in the file. Usage: noshdr.py IN OUT
"""
import shutil
import struct
import sys

src, dst = sys.argv[1], sys.argv[2]
data = bytearray(open(src, "rb").read())
if data[:4] != b"\x7fELF":
    sys.exit(f"{src}: not ELF")
cls, enc = data[4], data[5]
end = {1: "<", 2: ">"}[enc]
if cls == 2:  # ELF64: e_shoff at 0x28 (8 bytes), e_shnum 0x3c, e_shstrndx 0x3e
    struct.pack_into(end + "Q", data, 0x28, 0)
    struct.pack_into(end + "H", data, 0x3C, 0)
    struct.pack_into(end + "H", data, 0x3E, 0)
elif cls == 1:  # ELF32: e_shoff at 0x20 (4 bytes), e_shnum 0x30, e_shstrndx 0x32
    struct.pack_into(end + "I", data, 0x20, 0)
    struct.pack_into(end + "H", data, 0x30, 0)
    struct.pack_into(end + "H", data, 0x32, 0)
else:
    sys.exit(f"{src}: bad EI_CLASS {cls}")
with open(dst, "wb") as f:
    f.write(data)
# Keep the mode: `go version` treats files without an x bit differently.
shutil.copymode(src, dst)
