"""Atomic saves survive SIGKILL: a writer killed at random moments 200 times never leaves a partial file.

A fresh single-threaded Python process (so that fork is safe) forks a writer that saves in a
loop, alternating two versions, kills it with SIGKILL after a random delay, and checks that the
file is one of the two complete versions. Half the rounds use `save_project`, half
`atomic_write_bytes` with a 1 MB payload so that kills often land in the middle of a write.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.cli

ROOT = Path(__file__).resolve().parents[1]

KILLER = textwrap.dedent(
    """
    import json, os, random, signal, sys, time
    from pathlib import Path
    from nnstudio.core.fileio import atomic_write_bytes
    from nnstudio.core.project import dumps_project, save_project
    from nnstudio.core.spec import lesson_spec

    folder, rounds = Path(sys.argv[1]), int(sys.argv[2])
    rng = random.Random(20261127)
    small = lesson_spec()
    for _ in range(150):
        small = small.inserted(len(small.layers), small.new_layer("Dense", units=7))
    big = small.with_layer(1, small.layers[1].with_params(units=65))
    project = folder / "model.nnstudio"
    blob = folder / "blob.bin"
    project_versions = {dumps_project(small).encode(), dumps_project(big).encode()}
    blob_versions = [bytes([1]) * 1_000_000, bytes([2]) * 1_000_000]
    save_project(project, small)
    atomic_write_bytes(blob, blob_versions[0])

    def writer(round_no):
        k = 0
        while True:
            if round_no % 2:
                atomic_write_bytes(blob, blob_versions[k % 2])
            else:
                save_project(project, big if k % 2 else small)
            k += 1

    bad, leftovers = [], 0
    for round_no in range(rounds):
        pid = os.fork()
        if pid == 0:
            try:
                writer(round_no)
            finally:
                os._exit(1)
        time.sleep(rng.uniform(0.0, 0.012))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        if round_no % 2:
            ok = blob.read_bytes() in blob_versions
        else:
            ok = project.read_bytes() in project_versions
        if not ok:
            bad.append(round_no)
        for temp in folder.glob(".*.tmp"):  # what a killed writer leaves behind
            leftovers += 1
            temp.unlink()
    print(json.dumps({"rounds": rounds, "bad": bad, "leftovers": leftovers}))
    """
)


@pytest.mark.skipif(not hasattr(os, "fork") or not hasattr(signal, "SIGKILL"), reason="needs fork and SIGKILL")
def test_sigkill_never_leaves_a_partial_file(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", KILLER, str(tmp_path), "200"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["rounds"] == 200
    assert report["bad"] == []
    assert report["leftovers"] > 0  # some kills did land in the middle of a write
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blob.bin", "model.nnstudio"]
