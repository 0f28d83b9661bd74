"""The ceiling Sealbag's catalog is measured against: a bare pytsk3 walk.

``python -m bench.bare_walk IMAGE [--hash]`` lists every name of the file system at
the start of IMAGE (TSK's own raw reader, no volume system), reading and hashing
regular files with MD5 and SHA-256 when asked. Nothing is checked, kept, isolated
or stored; it prints the entry count and the bytes hashed.
"""

from __future__ import annotations

import argparse
import hashlib

import pytsk3


def walk(image: str, hash_content: bool) -> tuple[int, int]:
    """Entries listed and bytes hashed."""
    fs = pytsk3.FS_Info(pytsk3.Img_Info(image))
    entries = hashed = 0
    stack = [int(fs.info.root_inum)]
    seen = set(stack)
    while stack:
        for f in fs.open_dir(inode=stack.pop()):
            name = f.info.name
            if name.name in (b".", b".."):
                continue
            entries += 1
            meta = f.info.meta
            if meta is None:
                continue
            kind = int(meta.type)
            if kind == 2 and int(name.flags) & 1 and int(name.meta_addr) not in seen:
                seen.add(int(name.meta_addr))
                stack.append(int(name.meta_addr))
            elif hash_content and kind == 1 and meta.size:
                data = f.read_random(0, int(meta.size))
                hashlib.md5(data, usedforsecurity=False).digest()
                hashlib.sha256(data).digest()
                hashed += len(data)
    return entries, hashed


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.bare_walk")
    parser.add_argument("image")
    parser.add_argument("--hash", action="store_true")
    args = parser.parse_args()
    print(*walk(args.image, args.hash))


if __name__ == "__main__":
    main()
