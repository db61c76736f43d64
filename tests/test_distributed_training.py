"""The script `nnstudio code --train` writes, run across local worker processes as a person would.

Two workers (TF_CONFIG on free localhost ports) train the lesson's model from a directory of CSV
shards; a worker killed mid-training takes the other down, and both restarted resume after the
last checkpointed epoch; a CSV directory bigger than the process's whole memory limit is streamed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nnstudio.core.project import dumps_project
from tests.core.test_codegen_train import classifier
from tests.local_cluster import QUIET_ENV, free_ports, run_workers, start_worker, stderr_tail
from tests.peak_memory import launcher_command, launcher_env, read_peak_bytes

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "resources" / "examples" / "lesson.nnstudio"
IRIS = ROOT / "resources" / "datasets" / "iris.csv"
TARGETS = [f"t{j}" for j in range(10)]
EPOCH = re.compile(r"^epoch (\d+)/\d+ loss=([0-9.e+-]+)(?: val_loss=([0-9.e+-]+))? \(", re.MULTILINE)

pytestmark = [pytest.mark.cli, pytest.mark.engine]


def training_script(folder: Path, model: Path = LESSON) -> Path:
    script = folder / "train_lesson.py"
    made = subprocess.run(
        [sys.executable, "-m", "nnstudio", "code", "--train", str(model), "-o", str(script)],
        capture_output=True,
        text=True,
        env={**os.environ, **QUIET_ENV},
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    return script


def lesson_rows(rows: int, seed: int) -> str:
    """CSV lines (no header) for the lesson's model: 20 features, 10 targets from a fixed teacher."""
    teacher = np.random.default_rng(0).standard_normal((20, 10)) / 4
    x = np.random.default_rng(seed).standard_normal((rows, 20))
    table = np.hstack([x, np.tanh(x @ teacher)])
    return "\n".join(",".join(f"{v:.4f}" for v in row) for row in table) + "\n"


HEADER = ",".join([f"f{i}" for i in range(20)] + TARGETS) + "\n"


def write_shards(folder: Path, shards: int, rows: int) -> Path:
    folder.mkdir()
    for k in range(shards):
        (folder / f"part-{k}.csv").write_text(HEADER + lesson_rows(rows, seed=1 + k))
    return folder


def epochs(output: str) -> list[tuple[int, float, float | None]]:
    """(epoch, loss, val_loss or None) of each epoch line the script printed."""
    return [(int(n), float(loss), float(val) if val else None) for n, loss, val in EPOCH.findall(output)]


def check_lesson_model(path: Path) -> None:
    """Plain Keras loads the file as the lesson's model: same layers, shapes and parameters."""
    import keras

    model = keras.saving.load_model(path)
    assert [layer.name for layer in model.layers] == ["dense", "dense_1"]
    assert [layer.units for layer in model.layers] == [64, 10]
    assert model.layers[0].get_config()["activation"] == "relu"
    assert model.count_params() == 1994
    assert model(np.zeros((2, 20), dtype="float32")).shape == (2, 10)


def test_two_workers_train_the_lesson_model_from_csv_shards(tmp_path):
    script = training_script(tmp_path)
    data = write_shards(tmp_path / "shards", shards=2, rows=2500)
    out = tmp_path / "trained.keras"
    args = ["--strategy", "multi-worker", "--data", str(data), "--target", *TARGETS, "--epochs", "2", "-o", str(out)]
    results = run_workers(script, args, 2, tmp_path / "logs")
    for index, (code, _) in enumerate(results):
        assert code == 0, stderr_tail(tmp_path / "logs", index)
    outputs = [output for _, output in results]
    assert "workers: 2, replicas: 2, this process: worker-0" in outputs[0]
    assert "workers: 2, replicas: 2, this process: worker-1" in outputs[1]
    assert "4000 training and 1000 validation rows, shared out by file" in outputs[0]
    assert re.search(r"^mean = \[", outputs[0], re.MULTILINE) and re.search(r"^std = \[", outputs[0], re.MULTILINE)
    chief, other = epochs(outputs[0]), epochs(outputs[1])
    assert [n for n, _, _ in chief] == [1, 2]
    assert chief == other  # one model, trained in lockstep: both report the global loss
    assert chief[1][1] < chief[0][1] and chief[1][2] < chief[0][2]
    assert "saved" in outputs[0] and "saved" not in outputs[1]
    check_lesson_model(out)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("trained")) == [
        "trained.keras",
        "trained_checkpoints",
        "trained_normalisation.json",
    ]
    for worker in ("worker-0", "worker-1"):
        assert (tmp_path / "trained_checkpoints" / worker / "ckpt-2.index").is_file()


def test_a_killed_worker_and_its_peer_resume_after_the_last_checkpoint(tmp_path):
    script = training_script(tmp_path)
    out = tmp_path / "trained.keras"
    args = ["--strategy", "multi-worker", "--samples", "6000", "--epochs", "6", "-o", str(out)]
    logs = tmp_path / "first"
    ports = free_ports(2)
    chief = start_worker(script, args, ports, 0, logs)
    victim = start_worker(script, args, ports, 1, logs, stdout_pipe=True)
    try:
        seen = []
        for line in victim.stdout:  # type: ignore[union-attr]
            seen.append(line)
            if line.startswith("epoch 2/6"):
                break
        assert seen and seen[-1].startswith("epoch 2/6"), "".join(seen) + stderr_tail(logs, 1)
        victim.kill()
        assert chief.wait(timeout=120) == 1
    finally:
        for process in (chief, victim):
            if process.poll() is None:
                process.kill()
            process.wait()
    lost = (logs / "worker-0.err").read_text()
    assert "error: lost touch with another worker" in lost and "Traceback" not in lost
    assert not out.exists()
    first_loss = epochs((logs / "worker-0.out").read_text())[0][1]

    results = run_workers(script, args, 2, tmp_path / "second")
    for index, (code, _) in enumerate(results):
        assert code == 0, stderr_tail(tmp_path / "second", index)
    for _, output in results:
        resumed = re.search(r"^resuming after epoch (\d+) from ", output, re.MULTILINE)
        assert resumed, output
        start = int(resumed.group(1))
        assert 2 <= start < 6  # after the last epoch both had saved, never from 0
        resumed_epochs = epochs(output)
        assert [n for n, _, _ in resumed_epochs] == list(range(start + 1, 7))
        assert resumed_epochs[0][1] < first_loss / 2  # the trained weights came back, not fresh ones
    check_lesson_model(out)


def test_two_workers_share_one_small_csv_by_chunks_of_rows(tmp_path):
    """Iris (150 rows, one file, text labels) for a classifier: too few files for two workers, so
    each decodes its own chunks of rows; both must get some, or the second would run dry."""
    project = tmp_path / "iris.nnstudio"
    project.write_text(dumps_project(classifier()), encoding="utf-8")
    script = training_script(tmp_path, project)
    out = tmp_path / "iris.keras"
    args = ["--strategy", "multi-worker", "--data", str(IRIS), "--batch-size", "8", "--epochs", "2", "-o", str(out)]
    results = run_workers(script, args, 2, tmp_path / "logs")
    for index, (code, _) in enumerate(results):
        assert code == 0, stderr_tail(tmp_path / "logs", index)
    output = results[0][1]
    assert "120 training and 30 validation rows, shared out by chunks of 9 rows" in output
    assert 'classes: ["setosa", "versicolor", "virginica"]' in output
    assert re.search(r"^epoch 2/2 loss=\S+ accuracy=\S+ val_loss=\S+ val_accuracy=\S+ ", output, re.MULTILINE)
    import keras

    model = keras.saving.load_model(out)
    assert [layer.name for layer in model.layers] == ["hidden", "norm", "drop", "species"]
    assert model(np.zeros((3, 4), dtype="float32")).shape == (3, 3)


def test_a_bad_cell_is_one_line_naming_file_row_and_column(tmp_path):
    script = training_script(tmp_path)
    data = tmp_path / "bad.csv"
    lines = lesson_rows(40, seed=3).splitlines()
    cells = lines[5].split(",")
    cells[2] = "oops"
    lines[5] = ",".join(cells)
    data.write_text(HEADER + "\n".join(lines) + "\n")
    run = subprocess.run(
        [sys.executable, str(script), "--strategy", "default", "--data", str(data), "--target", *TARGETS],
        capture_output=True,
        text=True,
        env={**os.environ, **QUIET_ENV},
        cwd=tmp_path,
        timeout=300,
    )
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last == f"train_lesson.py: error: {data}: row 7, column 'f2' (3): expected a number, found 'oops'"
    assert "Traceback" not in run.stderr


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_DATA and /proc/self/status as Linux has them")
def test_csv_bigger_than_the_memory_limit_is_streamed_in_shards(tmp_path):
    """The process may hold 1 GiB of data memory (RLIMIT_DATA: heap and private mappings; a
    TensorFlow process needs about 0.75 GiB of it); the CSV shards hold 1.2 GB. Reading them whole
    fails under the limit; the script trains from them, statistics from a sample, rows counted."""
    import resource

    limit = 1 << 30
    script = training_script(tmp_path)
    data = tmp_path / "big"
    data.mkdir()
    block = lesson_rows(20000, seed=7).encode()
    for k in range(2):
        with (data / f"part-{k}.csv").open("wb") as handle:
            handle.write(HEADER.encode())
            for _ in range(600_000_000 // len(block) + 1):
                handle.write(block)
    size = sum(path.stat().st_size for path in data.iterdir())
    assert size > 1.1 * limit

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))

    env = {**os.environ, **QUIET_ENV}
    try:
        whole = subprocess.run(
            [sys.executable, "-c", f"import pathlib; [p.read_bytes() for p in pathlib.Path({str(data)!r}).iterdir()]"],
            preexec_fn=limited,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert whole.returncode != 0 and "MemoryError" in whole.stderr  # the limit is real

        out = tmp_path / "trained.keras"
        args = ["--strategy", "default", "--data", str(data), "--target", *TARGETS, "--stats-rows", "50000"]
        args += ["--validation-split", "0", "--batch-size", "256", "--steps-per-epoch", "40", "--epochs", "2"]
        peak_file = tmp_path / "peak"
        # The limit is set, and the peak read, by the program itself (tests/peak_memory.py): a child's
        # wait4 figure would start at this test process's own peak.
        process = subprocess.run(
            launcher_command([str(script), *args, "-o", str(out)]),
            capture_output=True,
            text=True,
            env=launcher_env(peak_file, limit, **QUIET_ENV),
            cwd=tmp_path,
            timeout=600,
        )
        output = process.stdout
        assert process.returncode == 0, process.stderr[-3000:]
        rows = size // len(block) * 20000  # whole blocks (the header and the last block's tail aside)
        found = re.search(r"data: 2 file\(s\), (\d+) training and 0 validation rows, shared out by file", output)
        assert found and abs(int(found.group(1)) - rows) <= 20000, output
        assert "statistics from 50" in output
        assert [(n, val) for n, _, val in epochs(output)] == [(1, None), (2, None)]
        peak = read_peak_bytes(peak_file)
        # RLIMIT_DATA already refuses holding the data whole; RSS also counts TensorFlow's libraries
        # and tf.data's buffers, so the bound is the data's own size
        assert peak < size, f"peak RSS {peak:,} bytes for {size:,} bytes of CSV"
        check_lesson_model(out)
    finally:
        for path in data.iterdir():
            path.unlink()
