"""Running a Python program in a subprocess and reading its own peak memory.

A child's `wait4` / `ru_maxrss` figure is not its own: Linux carries the peak RSS across exec, and
Python starts children with vfork (or fork), so the child's figure starts at the pytest process's
peak (gigabytes late in a whole run). VmHWM in /proc/self/status is the high-water mark of the
program's own memory since exec; the launcher writes it to a file at exit.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PEAK_FILE_ENV = "NNSTUDIO_TEST_PEAK_FILE"
DATA_LIMIT_ENV = "NNSTUDIO_TEST_DATA_LIMIT"

# argv: ("-m", module, args...) or (script path, args...). The data limit (RLIMIT_DATA), if given,
# is set here, in the program itself, before it imports anything large.
LAUNCHER = f"""
import atexit, os, resource, runpy, sys

def _report():
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(os.environ["{PEAK_FILE_ENV}"], "w") as out:
        out.write(peak)

if os.environ.get("{DATA_LIMIT_ENV}"):
    limit = int(os.environ["{DATA_LIMIT_ENV}"])
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
atexit.register(_report)
if sys.argv[1] == "-m":
    sys.argv = [sys.argv[2], *sys.argv[3:]]
    runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
else:
    sys.argv = sys.argv[1:]
    runpy.run_path(sys.argv[0], run_name="__main__")
"""


def launcher_command(program: list[str], *python_options: str) -> list[str]:
    """The command that runs PROGRAM (`["-m", module, ...]` or `[script, ...]`) through the launcher."""
    return [sys.executable, *python_options, "-c", LAUNCHER, *program]


def launcher_env(peak_file: Path, data_limit: int | None = None, **extra: str) -> dict[str, str]:
    """The environment that tells the launcher where to write the peak and which data limit to set."""
    env = {**os.environ, **extra, PEAK_FILE_ENV: str(peak_file)}
    if data_limit is not None:
        env[DATA_LIMIT_ENV] = str(data_limit)
    return env


def read_peak_bytes(peak_file: Path) -> int:
    """The peak the launcher wrote (VmHWM, in kB) as bytes."""
    return int(peak_file.read_text()) * 1024
