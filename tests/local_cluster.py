"""Local worker processes for the generated training script: free ports, TF_CONFIG, logs.

Used by the multi-worker tests and by `tests/bench/multiworker.py`.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

QUIET_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}


def free_ports(count: int) -> list[int]:
    """`count` distinct localhost ports that were free a moment ago (held together, so all differ)."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("localhost", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def tf_config(ports: list[int], index: int) -> str:
    """TF_CONFIG for worker `index` of a cluster of localhost workers on `ports`."""
    cluster = {"worker": [f"localhost:{port}" for port in ports]}
    return json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})


def start_worker(
    script: Path, args: list[str], ports: list[int], index: int, logs: Path, stdout_pipe: bool = False
) -> subprocess.Popen[str]:
    """Worker `index` running `python -u script args...`; stdout to logs/worker-N.out (or a pipe),
    stderr to logs/worker-N.err."""
    env = {**os.environ, **QUIET_ENV, "TF_CONFIG": tf_config(ports, index)}
    logs.mkdir(parents=True, exist_ok=True)
    stdout = subprocess.PIPE if stdout_pipe else (logs / f"worker-{index}.out").open("w")
    stderr = (logs / f"worker-{index}.err").open("w")
    try:
        return subprocess.Popen(
            [sys.executable, "-u", str(script), *args],
            stdout=stdout,
            stderr=stderr,
            text=True,
            env=env,
            cwd=logs,
        )
    finally:
        stderr.close()
        if not stdout_pipe:
            stdout.close()  # type: ignore[union-attr]


def run_workers(script: Path, args: list[str], count: int, logs: Path, timeout: float = 300) -> list[tuple[int, str]]:
    """Start `count` workers, wait for all; each one's (exit code, stdout). A worker still running
    at the timeout is killed (and its code is negative)."""
    ports = free_ports(count)
    workers = [start_worker(script, args, ports, index, logs) for index in range(count)]
    try:
        for worker in workers:
            worker.wait(timeout=timeout)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    return [(worker.returncode, (logs / f"worker-{i}.out").read_text()) for i, worker in enumerate(workers)]


def stderr_tail(logs: Path, index: int, characters: int = 3000) -> str:
    return (logs / f"worker-{index}.err").read_text()[-characters:]
