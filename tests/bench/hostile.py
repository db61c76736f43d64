"""Benchmark: time and peak memory to refuse each construction of hostile file (issue 16), up to the caps.

Every case builds one refused file (or, for `-o`, a refused target), runs the command a person would
run on it (`nnstudio validate`, `export` or `train`) as its own process, and records the wall time to
the refusal and that process's peak resident memory (VmHWM, read at its exit). Each case must end
with exit status 1, one line on standard error, in under 2 s and under 300 MB. The baseline, in the
same run, is `validate` of the sound lesson file (what any run costs: Python and nnstudio start-up).

One case is not a refusal but a measured bound: exporting a `.keras` file with an Orthogonal
initializer on a 4,000 x 4,000 Dense and the same file with glorot_uniform, through nnstudio (the
file's weights go in without the initializer running: both take the same time) and through plain
Keras's `load_model` (which runs the initializer first: the difference is the QR decomposition).

Prints a line per case, then one JSON object as the last line:
{"baseline": {...}, "cases": {name: {"seconds", "peak_mb", "refused", "within_bounds", "message"}},
 "max_seconds", "max_peak_mb", "all_within_bounds", "orthogonal": {...}}

    python tests/bench/hostile.py [--skip-orthogonal]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import h5py  # noqa: E402
import numpy as np  # noqa: E402

from nnstudio.core.project import dumps_project  # noqa: E402
from nnstudio.core.spec import lesson_spec  # noqa: E402
from tests.core.test_keras_archive_corpus import (  # noqa: E402
    adam_compile,
    layer_entry,
    lesson_config,
    lesson_weights,
    model_config,
    weights_bytes,
    write_keras,
)

SECONDS_LIMIT = 2.0
MEGABYTES_LIMIT = 300.0
LESSON = ROOT / "resources" / "examples" / "lesson.nnstudio"
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "", "PYTHONPATH": str(ROOT)}

# Runs `python -m nnstudio ARGS` and writes the process's peak resident memory (kB) at exit.
LAUNCHER = """
import atexit, os, runpy, sys

def _report():
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(os.environ["NNSTUDIO_BENCH_PEAK"], "w") as out:
        out.write(peak)

atexit.register(_report)
sys.argv = ["nnstudio", *sys.argv[1:]]
runpy.run_module("nnstudio", run_name="__main__", alter_sys=True)
"""


def run_cli(args: list[str], cwd: Path) -> dict[str, Any]:
    peak_file = cwd / ".peak"
    env = {**ENV, "NNSTUDIO_BENCH_PEAK": str(peak_file)}
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=600
    )
    seconds = time.perf_counter() - start
    peak_mb = int(peak_file.read_text()) / 1024 if peak_file.exists() else float("nan")
    lines = result.stderr.splitlines()
    return {
        "seconds": round(seconds, 3),
        "peak_mb": round(peak_mb, 1),
        "returncode": result.returncode,
        "stderr_lines": len(lines),
        "message": lines[0][:160] if lines else "",
    }


# -- the constructions: each writes its file into `folder` and returns the command's arguments ----


def _project(folder: Path, name: str, edit: Callable[[dict[str, Any]], None]) -> Path:
    document = json.loads(dumps_project(lesson_spec()))
    edit(document)
    path = folder / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _keras(folder: Path, name: str, edit: Callable[[dict[str, Any]], None], weights: bytes | None = None) -> Path:
    config = lesson_config()
    edit(config)
    return write_keras(folder / name, config, weights or weights_bytes(lesson_weights()))


def budget_bypass(folder: Path) -> list[str]:
    """Dense(1000) fed 20 features whose build_config claims 500,000 (500 M parameters in Keras)."""
    config = model_config([20], [layer_entry("Dense", "big", units=1000), layer_entry("Dense", "out", units=2)])
    config["config"]["layers"][1]["build_config"] = {"input_shape": [None, 500_000]}
    path = write_keras(folder / "bypass.keras", config, weights_bytes({"dense": [(20, 1000), (1000,)]}))
    return ["export", str(path), "-o", str(folder / "out.keras")]


def metrics_keras(folder: Path) -> list[str]:
    path = _keras(folder, "metrics.keras", lambda c: c["compile_config"].update(metrics=["accuracy"] * 20_000))
    return ["train", str(path), "--data", "synthetic", "--epochs", "1", "-o", str(folder / "out.keras")]


def metrics_project(folder: Path) -> list[str]:
    path = _project(folder, "metrics.nnstudio", lambda d: d["compile"].update(metrics=["accuracy"] * 300_000))
    return ["train", str(path), "--data", "synthetic", "--epochs", "1", "-o", str(folder / "out.keras")]


def long_key_walk(folder: Path) -> list[str]:
    """One 2 MB key above 100,000 objects (the config walker rebuilt the path for each: quadratic)."""

    def edit(config: dict[str, Any]) -> None:
        config["config"]["k" * 2_000_000] = [{"a": 1}] * 100_000

    return ["validate", str(_keras(folder, "walk.keras", edit))]


def many_containers(folder: Path) -> list[str]:
    """8 MB of nested-but-shallow arrays: 2.7 million containers to walk."""
    data = b'{"a": [' + b"[]," * 2_700_000 + b"[]]}"
    return ["validate", str(write_keras(folder / "containers.keras", data, weights_bytes(lesson_weights())))]


def invalid_layers_keras(folder: Path) -> list[str]:
    """9,999 layers with invalid settings (issues were scanned once per layer)."""
    layers = [layer_entry("Dense", f"d{i}", units=-5) for i in range(9_999)]
    config = model_config([20], layers, adam_compile())
    return ["validate", str(write_keras(folder / "issues.keras", config, weights_bytes(lesson_weights())))]


def invalid_layers_project(folder: Path) -> list[str]:
    def edit(document: dict[str, Any]) -> None:
        dense = document["layers"][1]
        document["layers"] = document["layers"][:1] + [dict(dense, name=f"d{i}", units=-5) for i in range(9_999)]

    return ["validate", str(_project(folder, "issues.nnstudio", edit))]


def _zip_with_entries(path: Path, count: int) -> Path:
    """A real zip holding `count` empty members (its central directory really that long)."""
    name_of = [f"assets/{i}".encode() for i in range(count)]
    local = io.BytesIO()
    central = io.BytesIO()
    for name in name_of:
        offset = local.tell()
        local.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0) + name)
        central.write(
            struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0, 0, 0, 0, 0, offset)
            + name
        )
    directory = central.getvalue()
    count16 = min(count, 0xFFFF)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count16, count16, len(directory), local.tell(), 0)
    path.write_bytes(local.getvalue() + directory + end)
    return path


def zip_two_million(folder: Path) -> list[str]:
    return ["validate", str(_zip_with_entries(folder / "many.keras", 2_000_000))]


def zip_lying_count(folder: Path) -> list[str]:
    """2 M real members, the end record claiming 3: zipfile would parse the whole directory."""
    path = _zip_with_entries(folder / "liar.keras", 2_000_000)
    data = bytearray(path.read_bytes())
    data[-14:-10] = struct.pack("<2H", 3, 3)
    path.write_bytes(bytes(data))
    return ["validate", str(path)]


def zip64_twelve_million(folder: Path) -> list[str]:
    """End records claiming 12 M members in a 700 MB directory (a small file: the claim alone)."""
    record = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, 12_000_000, 12_000_000, 700_000_000, 0)
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, 30, 1)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    path = folder / "zip64.keras"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 26 + record + locator + end)
    return ["validate", str(path)]


def csv_over_cap(folder: Path) -> list[str]:
    path = folder / "big.csv"
    with path.open("w") as handle:
        row = "0.5," * 19 + "1\n"
        handle.write(",".join(f"f{i}" for i in range(20)) + "\n")
        handle.write(row * (190 * 1024 * 1024 // len(row)))
    return ["train", str(LESSON), "--data", str(path), "--epochs", "1", "-o", str(folder / "out.keras")]


def csv_bad_last_cell(folder: Path) -> list[str]:
    """Just under the cell cap, the one bad cell in the last row: everything is parsed first."""
    path = folder / "late.csv"
    rows = 1_000_000 // 21 - 4  # lines (rows, header, last row, end) x 21 columns: just under the cap
    with path.open("w") as handle:
        handle.write(",".join(f"f{i}" for i in range(21)) + "\n")
        handle.write(("0.123456789," * 20 + "1\n") * rows)
        handle.write("0.5," * 20 + "oops\x1b[2J\n")
    return ["train", str(LESSON), "--data", str(path), "--epochs", "1", "-o", str(folder / "out.keras")]


def csv_long_cells(folder: Path) -> list[str]:
    """Just under the byte cap in cells of 900 characters, the bad one last."""
    path = folder / "long_cells.csv"
    cell = "0." + "0" * 897 + "1"
    rows = (32 * 1024 * 1024 - 4096) // (21 * (len(cell) + 1))
    with path.open("w") as handle:
        handle.write(",".join(f"f{i}" for i in range(21)) + "\n")
        handle.write((",".join([cell] * 21) + "\n") * (rows - 1))
        handle.write(",".join([cell] * 20) + ",x\n")
    return ["train", str(LESSON), "--data", str(path), "--epochs", "1", "-o", str(folder / "out.keras")]


def csv_two_million_columns(folder: Path) -> list[str]:
    path = folder / "wide.csv"
    path.write_text(",".join(f"h\x1b{i}" for i in range(2_000_000)) + "\n" + "1," * 1_999_999 + "1\n")
    return ["train", str(LESSON), "--data", str(path), "--epochs", "1", "-o", str(folder / "out.keras")]


def terminal_escape_name(folder: Path) -> list[str]:
    name = "evil\x1b]52;c;cHduZWQ=\x07\x1b[2J\nok: a sound model" + "x" * 100
    return ["summary", str(_project(folder, "name.nnstudio", lambda d: d.update(name=name)))]


def output_fifo(folder: Path) -> list[str]:
    fifo = folder / "pipe.keras"
    os.mkfifo(fifo)
    return ["export", str(LESSON), "-o", str(fifo)]


def output_is_input(folder: Path) -> list[str]:
    path = write_keras(folder / "same.keras", lesson_config(), weights_bytes(lesson_weights()))
    return ["export", str(path), "-o", str(path)]


def huge_learning_rate(folder: Path) -> list[str]:
    text = dumps_project(lesson_spec()).replace('"learning_rate": null', '"learning_rate": ' + "9" * 4000)
    path = folder / "lr.nnstudio"
    path.write_text(text)
    return ["validate", str(path)]


def huge_momentum_keras(folder: Path) -> list[str]:
    def edit(config: dict[str, Any]) -> None:
        config["compile_config"]["optimizer"]["config"]["beta_1"] = 10**400

    return ["validate", str(_keras(folder, "momentum.keras", edit))]


def keras_rejects_clipnorm(folder: Path) -> list[str]:
    def edit(config: dict[str, Any]) -> None:
        config["compile_config"]["optimizer"]["config"]["clipnorm"] = "abc"

    return ["export", str(_keras(folder, "clipnorm.keras", edit)), "-o", str(folder / "out.keras")]


def dropout_seed(folder: Path) -> list[str]:
    config = model_config([20], [layer_entry("Dense", "d", units=4), layer_entry("Dropout", "drop")])
    config["config"]["layers"][2]["config"]["seed"] = 10**400
    path = write_keras(folder / "seed.keras", config, weights_bytes({"dense": [(20, 4), (4,)]}))
    return ["export", str(path), "-o", str(folder / "out.keras")]


def unknown_hdf5_filter(folder: Path) -> list[str]:
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        layers = h5.create_group("layers")
        for group, shapes in lesson_weights().items():
            variables = layers.create_group(group).create_group("vars")
            for i, shape in enumerate(shapes):
                dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
                dcpl.set_chunk(shape)
                dcpl.set_filter(32_123, h5py.h5z.FLAG_OPTIONAL, ())
                space = h5py.h5s.create_simple(shape)
                h5py.h5d.create(variables.id, str(i).encode(), h5py.h5t.IEEE_F32LE, space, dcpl=dcpl)
        h5.create_group("vars")
    return [
        "export",
        str(write_keras(folder / "filter.keras", lesson_config(), buffer.getvalue())),
        "-o",
        str(folder / "out.keras"),
    ]


def max_config(folder: Path) -> list[str]:
    """A config.json at its 8 MB cap: 10,000 sound layers (the most a file may have) and padding."""
    layers = [layer_entry("Dense", f"d{i}", units=4) for i in range(10_001)]
    config = model_config([4], layers, adam_compile())
    return ["validate", str(write_keras(folder / "max.keras", config, weights_bytes({"dense": [(4, 4), (4,)]})))]


CASES: dict[str, Callable[[Path], list[str]]] = {
    "budget bypass via build_config (export)": budget_bypass,
    "metrics x20,000 in .keras (train)": metrics_keras,
    "metrics x300,000 in .nnstudio (train)": metrics_project,
    "2 MB key over 100,000 objects": long_key_walk,
    "2.7 M containers in 8 MB": many_containers,
    "9,999 invalid layers in .keras": invalid_layers_keras,
    "9,999 invalid layers in .nnstudio": invalid_layers_project,
    "zip of 2 M members": zip_two_million,
    "zip of 2 M members, count says 3": zip_lying_count,
    "zip64 records claiming 12 M members": zip64_twelve_million,
    "190 MB CSV (train)": csv_over_cap,
    "CSV at the cell cap, bad last cell (train)": csv_bad_last_cell,
    "CSV at the byte cap, long cells, bad last (train)": csv_long_cells,
    "CSV of 2 M columns (train)": csv_two_million_columns,
    "ESC and newline in a project's name (summary)": terminal_escape_name,
    "-o is a FIFO (export)": output_fifo,
    "-o is the input (export)": output_is_input,
    "learning_rate of 4,000 digits": huge_learning_rate,
    "beta_1 of 10**400 in .keras": huge_momentum_keras,
    "clipnorm 'abc' (export)": keras_rejects_clipnorm,
    "Dropout seed 10**400 (export)": dropout_seed,
    "unknown HDF5 filter (export)": unknown_hdf5_filter,
    "10,001 layers, one over the layer cap": max_config,
}


# -- the Orthogonal bound ----------------------------------------------------------------------------

ORTHOGONAL_SCRIPT = """
import sys, time, os, resource
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import keras
start = time.perf_counter()
keras.saving.load_model(sys.argv[1], compile=False)
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


# nnstudio's export of the same 4,000 x 4,000 Orthogonal Dense with the file's weights (the
# initializer is not run) and without weights (Keras runs it), in one process after Keras is loaded.
EXPORT_SCRIPT = """
import sys, time, json
import numpy as np
from nnstudio.keras_io.quiet_import import import_keras
import_keras()
from nnstudio.core.spec import LayerSpec, ModelSpec, lesson_spec
from nnstudio.keras_io.export import export_keras
size, folder = int(sys.argv[1]), sys.argv[2]
params = {**lesson_spec().layers[1].params, "units": size, "kernel_initializer": "orthogonal", "activation": "linear"}
spec = ModelSpec("m", (LayerSpec("Input", "x", {"shape": [size]}), LayerSpec("Dense", "wide", params)))
weights = {"wide": [np.ones((size, size), np.float32), np.zeros(size, np.float32)]}
export_keras(spec, folder + "/warm.keras", weights)
start = time.perf_counter(); export_keras(spec, folder + "/a.keras", weights); given = time.perf_counter() - start
start = time.perf_counter(); export_keras(spec, folder + "/b.keras", None); fresh = time.perf_counter() - start
print(json.dumps({"with_the_files_weights_s": round(given, 3), "initializer_run_s": round(fresh, 3)}))
"""


def _dense_file(folder: Path, size: int, initializer: str) -> Path:
    config = model_config([size], [layer_entry("Dense", "wide", units=size, kernel_initializer=initializer)])
    buffer = io.BytesIO()
    rng = np.random.default_rng(0)
    with h5py.File(buffer, "w") as h5:
        variables = h5.create_group("layers").create_group("dense").create_group("vars")
        variables.create_dataset("0", data=rng.standard_normal((size, size), dtype=np.float32))
        variables.create_dataset("1", data=np.zeros(size, np.float32))
        h5.create_group("vars")
    return write_keras(folder / f"{initializer}.keras", config, buffer.getvalue())


def orthogonal(folder: Path, size: int = 4000) -> dict[str, Any]:
    """Export time with an Orthogonal kernel vs the same file with glorot_uniform: equal for nnstudio
    (no initializer runs), the cost of the QR decomposition apart for plain Keras's load_model."""
    result: dict[str, Any] = {"kernel": f"{size}x{size}"}
    paths = {initializer: _dense_file(folder, size, initializer) for initializer in ("orthogonal", "glorot_uniform")}
    for round_ in range(2):  # best of two, the order swapped: the first start of TensorFlow is the slowest
        for initializer, path in list(paths.items())[:: 1 if round_ == 0 else -1]:
            ours = run_cli(["export", str(path), "-o", str(folder / "out.keras")], folder)
            _keep_best(result, f"nnstudio_export_{initializer}_s", ours["seconds"] if ours["returncode"] == 0 else None)
            start = time.perf_counter()
            keras_run = subprocess.run(
                [sys.executable, "-c", ORTHOGONAL_SCRIPT, str(path)],
                capture_output=True,
                text=True,
                env=ENV,
                timeout=900,
            )
            seconds = round(time.perf_counter() - start, 3) if keras_run.returncode == 0 else None
            _keep_best(result, f"keras_load_model_{initializer}_s", seconds)
    run = subprocess.run(
        [sys.executable, "-c", EXPORT_SCRIPT, str(size), str(folder)],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=900,
    )
    if run.returncode == 0:
        result["export_keras_in_process"] = json.loads(run.stdout.strip().splitlines()[-1])
    return result


def _keep_best(result: dict[str, Any], key: str, seconds: float | None) -> None:
    if seconds is not None and (result.get(key) is None or seconds < result[key]):
        result[key] = seconds
    result.setdefault(key, None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-orthogonal", action="store_true", help="leave out the Orthogonal export comparison")
    parser.add_argument("--only", help="run only the cases whose name holds this text")
    args = parser.parse_args()
    report: dict[str, Any] = {"cases": {}}
    with tempfile.TemporaryDirectory(prefix="nnstudio-hostile-bench-") as tmp:
        root = Path(tmp)
        baseline = run_cli(["validate", str(LESSON)], root)
        report["baseline"] = {"seconds": baseline["seconds"], "peak_mb": baseline["peak_mb"]}
        print(f"baseline: validate lesson  {baseline['seconds']:.2f} s  {baseline['peak_mb']:.0f} MB", flush=True)
        for name, build in CASES.items():
            if args.only and args.only not in name:
                continue
            folder = root / f"case{len(report['cases'])}"
            folder.mkdir()
            command = build(folder)
            result = run_cli(command, folder)
            refused = result["returncode"] == 1 and result["stderr_lines"] == 1
            within = refused and result["seconds"] < SECONDS_LIMIT and result["peak_mb"] < MEGABYTES_LIMIT
            report["cases"][name] = {
                "seconds": result["seconds"],
                "peak_mb": result["peak_mb"],
                "refused": refused,
                "within_bounds": within,
                "message": result["message"],
            }
            mark = "ok " if within else "FAIL"
            print(f"{mark} {name:<48} {result['seconds']:6.2f} s {result['peak_mb']:7.0f} MB  {result['message'][:90]}")
            for path in folder.iterdir():  # free the disk before the next case
                if path.is_file():
                    path.unlink()
        if not args.skip_orthogonal:
            folder = root / "orthogonal"
            folder.mkdir()
            report["orthogonal"] = orthogonal(folder)
            print(f"orthogonal: {report['orthogonal']}", flush=True)
    cases = report["cases"].values()
    report["max_seconds"] = max((c["seconds"] for c in cases), default=0.0)
    report["max_peak_mb"] = max((c["peak_mb"] for c in cases), default=0.0)
    report["all_within_bounds"] = all(c["within_bounds"] for c in cases)
    print(json.dumps(report))
    return 0 if report["all_within_bounds"] else 1


if __name__ == "__main__":
    sys.exit(main())
