"""`nnstudio train FILE --data synthetic|iris|CSV --epochs N -o OUT.keras`.

`train` checks the model and the data before Keras is imported, reads a `.keras` file's weights
in the engine process (under its memory limit), fits in this process (there is no window to keep
alive) printing one line per epoch (`epoch 3/10 loss=0.1234 val_loss=0.2345`) and writes the
trained model with `export_keras` (atomically).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from nnstudio.cli import CommandError, command
from nnstudio.core.text_safety import one_line, terminal_text


def _configure_train(parser: argparse.ArgumentParser) -> None:
    parser.description = "Train the model headless and write the trained model as a .keras file."
    parser.add_argument("file", help="a .nnstudio project or .keras model (a .keras file's weights are the start)")
    parser.add_argument(
        "--data",
        required=True,
        metavar="synthetic|iris|CSV",
        help="'synthetic' (made up, shaped for the model), 'iris' (shipped), or a CSV file",
    )
    parser.add_argument(
        "--task", default="auto", help="synthetic task: auto, teacher, clusters, circles, xor, spirals, gaussians"
    )
    parser.add_argument("--samples", type=int, default=512, help="size of the synthetic data set (default 512)")
    parser.add_argument("--features", nargs="+", metavar="COL", help="CSV feature columns (default: all but targets)")
    parser.add_argument("--target", nargs="+", metavar="COL", help="CSV target column(s) (default: the last)")
    parser.add_argument("--no-normalise", action="store_true", help="keep CSV features as they are (no z-score)")
    parser.add_argument("--epochs", type=int, required=True, metavar="N")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--validation-split", type=float, default=0.2, metavar="FRACTION")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--output", required=True, metavar="OUT.keras", help="the .keras file to write")


def format_logs(logs: dict[str, float]) -> str:
    """`loss=0.1234 mean_absolute_error=0.2 val_loss=0.3`: training values first, then validation."""
    train = [k for k in logs if not k.startswith("val_")]
    val = [k for k in logs if k.startswith("val_")]
    return " ".join(f"{k}={logs[k]:.6g}" for k in train + val)


@command("train", _configure_train)
def run_train(args: argparse.Namespace) -> int:
    """Check FILE and the data, fit, print a line per epoch, export OUT atomically."""
    from nnstudio.commands.build import is_project, load_checked
    from nnstudio.commands.output_path import check_output
    from nnstudio.core.csv_data import CsvError, DataConfig, prepare
    from nnstudio.core.datasets import DatasetError, sample_count

    inputs = (args.file,) if args.data in ("synthetic", "iris") else (args.file, args.data)
    out = check_output(args.output, ".keras", inputs)
    if args.epochs < 1:
        raise CommandError(f"--epochs must be at least 1; received {args.epochs}", "--epochs")
    if args.batch_size < 1:
        raise CommandError(f"--batch-size must be at least 1; received {args.batch_size}", "--batch-size")
    if not 0.0 <= args.validation_split < 1.0:
        raise CommandError(
            f"--validation-split must be in [0, 1); received {args.validation_split}", "--validation-split"
        )
    spec = load_checked(args.file)

    if args.data in ("synthetic", "iris"):
        config = DataConfig(source=args.data, task=args.task, samples=args.samples, seed=args.seed)
    else:
        if not Path(args.data).is_file():
            raise CommandError("no such data file", args.data)
        config = DataConfig(
            source="csv",
            path=args.data,
            features=tuple(args.features or ()),
            targets=tuple(args.target or ()),
            normalise=not args.no_normalise,
            seed=args.seed,
        )
    try:
        data = prepare(spec, config, args.validation_split)
    except CsvError as exc:
        raise CommandError(exc.message, exc.path or args.data) from None
    except DatasetError as exc:
        raise CommandError(str(exc), args.data) from None
    print(
        f"data: {terminal_text(config.describe())}: {sample_count(data.x)} training and "
        f"{0 if data.x_val is None else sample_count(data.x_val)} validation samples",
        flush=True,
    )
    if data.normaliser is not None:
        print(
            "features normalised (z-score); feed the trained model (x - mean) / std with "
            f"mean={[round(float(v), 6) for v in data.normaliser.mean]} "
            f"std={[round(float(v), 6) for v in data.normaliser.std]}",
            flush=True,
        )

    weights = None
    if not is_project(args.file):  # a .keras archive: its weights, read in the engine under its memory limit
        from nnstudio.commands.engine_calls import call, engine

        with engine() as client:
            loaded = call(client, "load_keras", {"path": str(args.file)}, args.file)
        spec, weights = loaded.spec, loaded.weights

    from nnstudio.keras_io.quiet_import import import_keras

    import_keras()
    from nnstudio.keras_io.export import export_keras
    from nnstudio.keras_io.train import run_training

    started = time.perf_counter()

    def progress(update: dict) -> None:
        for done in update["epochs_done"]:
            print(f"epoch {done['epoch']}/{args.epochs} {format_logs(done['logs'])}", flush=True)

    try:
        history, weights = run_training(
            spec,
            data.x,
            data.y,
            epochs=args.epochs,
            batch_size=args.batch_size,
            weights=weights,
            validation_data=data.validation_data,
            progress=progress,
            seed=args.seed,
        )
    except (ValueError, TypeError) as exc:
        raise CommandError(f"Keras could not train the model: {one_line(str(exc))}", args.file) from None
    try:
        export_keras(spec, out, weights)
    except OSError as exc:
        raise CommandError(f"cannot write the file: {exc.strerror or exc}", args.output) from None
    print(
        f"trained {len(history.get('loss', []))} epochs in {time.perf_counter() - started:.1f} s; "
        f"wrote {terminal_text(str(out))}"
    )
    return 0
