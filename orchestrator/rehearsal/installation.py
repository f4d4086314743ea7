"""A private copy of a PostgreSQL installation whose extension folder also holds the stubs.

Why a copy: PostgreSQL 15 and 17 read extensions from one folder fixed at build time
(`SHAREDIR/extension`; `extension_control_path` arrives only in 18). Writing stubs there would make
`create extension pg_net` succeed in every cluster of the machine, tests and the local target
included. PostgreSQL finds SHAREDIR and PKGLIBDIR relative to the `postgres` binary when the binary
is moved with the same layout (src/port/path.c, make_relative_path), and resolves symlinks to find
itself, so the binaries are copied (about 20 MB) and everything else is symlinked.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from orchestrator.rehearsal.stubs import STUBS, Stub, control_text

__all__ = ["Layout", "find_layout", "private_installation"]


@dataclass(frozen=True)
class Layout:
    bin: Path
    share: Path  # holds extension/
    pkglib: Path  # holds plpgsql.so
    major: int

    @property
    def prefix(self) -> Path:
        return Path(os.path.commonpath([self.bin, self.share, self.pkglib]))


def find_layout(bin_dir: Path) -> Layout:
    """Where a server's share and library folders are: Debian's split layout or a plain prefix."""
    major = _major(bin_dir)
    up = bin_dir.parent
    shares = [up / "share" / "postgresql", up / "share", Path(f"/usr/share/postgresql/{major}")]
    libs = [up / "lib" / "postgresql", up / "lib", bin_dir.parent / "lib"]
    share = next((p for p in shares if (p / "extension" / "plpgsql.control").exists()), None)
    pkglib = next((p for p in libs if (p / "plpgsql.so").exists()), None)
    if share is None or pkglib is None:
        raise FileNotFoundError(f"cannot find the extension and library folders of {bin_dir}")
    return Layout(bin_dir, share, pkglib, major)


def _major(bin_dir: Path) -> int:
    for parent in (bin_dir, *bin_dir.parents):
        if parent.name.isdigit():
            return int(parent.name)
    out = subprocess.run([str(bin_dir / "postgres"), "--version"], capture_output=True, text=True, check=True)
    return int(re.search(r"\) (\d+)", out.stdout)[1])  # type: ignore[index]  # "postgres (PostgreSQL) 17.11"


def private_installation(root: Path, source: Layout, *, major: int | None = None) -> Path:
    """Build (or reuse) the copy under `root`; return its bin folder, to use as PG_BIN."""
    def moved(path: Path) -> Path:
        return root / path.relative_to(source.prefix)

    target = Layout(moved(source.bin), moved(source.share), moved(source.pkglib), source.major)
    marker = root / "source.txt"  # a copy made from another server is thrown away
    if root.exists() and (not marker.exists() or marker.read_text() != str(source.bin)):
        shutil.rmtree(root)
    if not (target.bin / "postgres").exists():
        _copy_bin(source.bin, target.bin)
        marker.write_text(str(source.bin))
    # links are refreshed on every call: an extension installed since (apt) shows up
    _link_tree(source.pkglib, target.pkglib)
    _link_tree(source.share, target.share, keep={"extension"})
    _link_tree(source.share / "extension", target.share / "extension")
    real = {p.name.removesuffix(".control") for p in (source.share / "extension").glob("*.control")}
    for stub in STUBS.values():
        if stub.name not in real and (major or source.major) in stub.majors:
            _write_stub(target.share / "extension", stub)
    return target.bin


def _copy_bin(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        if item.is_file():
            shutil.copy2(item, target / item.name)


def _link_tree(source: Path, target: Path, keep: set[str] | frozenset[str] = frozenset()) -> None:
    """`target` as a real folder of symlinks to `source`'s entries; names in `keep` are left out."""
    target.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        link = target / item.name
        if item.name in keep or link.is_symlink():
            continue
        link.unlink(missing_ok=True)  # a stub written before the real one was installed
        link.symlink_to(item)


def _write_stub(folder: Path, stub: Stub) -> None:
    (folder / f"{stub.name}.control").write_text(control_text(stub))
    (folder / f"{stub.name}--{stub.version}.sql").write_text(stub.script())
