"""The process tree of this application, read from /proc (Linux): engines, helpers and their memory."""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")


def children(pid: int) -> list[int]:
    """The direct child processes of `pid`."""
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def cmdline(pid: int) -> str:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def is_engine(pid: int) -> bool:
    """Whether `pid` is a Keras engine (a multiprocessing spawn child), not a helper such as the resource tracker."""
    return "spawn_main" in cmdline(pid)


def engines(pid: int | None = None) -> list[int]:
    """The engine processes started by `pid` (this process by default)."""
    return [child for child in children(os.getpid() if pid is None else pid) if is_engine(child)]


def memory_kb(pid: int, field: str) -> int:
    """`field` ("Rss" or "Pss") of `pid` in kB, from /proc/PID/smaps_rollup (0 when it is gone)."""
    try:
        for line in (PROC / str(pid) / "smaps_rollup").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree(pid: int | None = None) -> list[int]:
    """`pid` and all its descendants."""
    root = os.getpid() if pid is None else pid
    found, todo = [], [root]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children(current))
    return found


SHM_PREFIX = "/dev/shm/"


def shared_blocks_kb(pids: list[int]) -> tuple[int, int]:
    """(kB of the distinct /dev/shm files the processes `pids` map or keep open, kB of those
    mappings the processes' Rss already counts): Rss counts only a mapping's touched pages and
    an open file not at all, yet the whole block is in memory."""
    sizes: dict[int, int] = {}
    counted = 0
    for pid in pids:
        for inode, size_kb, rss_kb in _shm_mappings(pid):
            sizes[inode] = max(sizes.get(inode, 0), size_kb)
            counted += rss_kb
        fd_dir = PROC / str(pid) / "fd"
        try:
            fds = list(fd_dir.iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if not os.readlink(fd).startswith(SHM_PREFIX):
                    continue
                stat = os.stat(fd)
            except OSError:
                continue
            sizes[stat.st_ino] = max(sizes.get(stat.st_ino, 0), stat.st_blocks * 512 // 1024)
    return sum(sizes.values()), counted


def _shm_mappings(pid: int) -> list[tuple[int, int, int]]:
    """(inode, Size kB, Rss kB) of each /dev/shm mapping of `pid`, from /proc/PID/smaps."""
    found: list[tuple[int, int, int]] = []
    try:
        lines = (PROC / str(pid) / "smaps").read_text().splitlines()
    except OSError:
        return found
    mapping: dict[str, int] | None = None
    for line in lines:
        parts = line.split(maxsplit=5)
        if len(parts) >= 5 and "-" in parts[0] and not parts[0].endswith(":"):  # a mapping's header
            if mapping is not None:
                found.append((mapping["inode"], mapping.get("Size", 0), mapping.get("Rss", 0)))
            shm = len(parts) == 6 and parts[5].startswith(SHM_PREFIX)
            mapping = {"inode": int(parts[4])} if shm else None
        elif mapping is not None and parts and parts[0] in ("Size:", "Rss:"):
            mapping[parts[0][:-1]] = int(parts[1])
    if mapping is not None:
        found.append((mapping["inode"], mapping.get("Size", 0), mapping.get("Rss", 0)))
    return found
