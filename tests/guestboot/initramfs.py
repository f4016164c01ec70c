#!/usr/bin/python3
"""Write the guest-boot tier's initramfs: a newc cpio archive (the format
the kernel unpacks; this machine need not have cpio) holding busybox, the
init script and the pci-stub module.

    initramfs.py --busybox FILE --init FILE --module FILE -o OUT
"""
import argparse
import os
import sys


def newc(out, entries):
    """entries: (name, mode, data); directories before what they hold."""
    for ino, (name, mode, data) in enumerate(entries + [("TRAILER!!!", 0, b"")], 1):
        encoded = name.encode() + b"\0"
        fields = (ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(encoded), 0)
        header = b"070701" + b"".join(b"%08X" % f for f in fields)
        out.write(header + encoded + b"\0" * (-(len(header) + len(encoded)) % 4))
        out.write(data + b"\0" * (-len(data) % 4))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--busybox", required=True)
    parser.add_argument("--init", required=True)
    parser.add_argument("--module", required=True)
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args()
    read = lambda path: open(path, "rb").read()
    directory, regular, link = 0o040755, 0o100755, 0o120777
    entries = [(d, directory, b"") for d in ("bin", "dev", "lib", "lib/modules", "proc", "sys", "tmp")]
    entries += [
        ("bin/busybox", regular, read(args.busybox)),
        ("bin/sh", link, b"busybox"),
        ("init", regular, read(args.init)),
        ("lib/modules/" + os.path.basename(args.module), 0o100644, read(args.module)),
    ]
    tmp = args.output + ".tmp"
    with open(tmp, "wb") as out:
        newc(out, entries)
    os.replace(tmp, args.output)


if __name__ == "__main__":
    sys.exit(main())
