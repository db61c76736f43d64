"""Generate a standalone training script that uses tf.distribute (`nnstudio code --train`).

The script rebuilds the model inside a distribution strategy's scope and fits it:
`--strategy mirrored` (the default) uses every GPU of one machine (MirroredStrategy),
`--strategy multi-worker` trains across machines (MultiWorkerMirroredStrategy, configured by
the TF_CONFIG environment variable on each machine), `--strategy default` uses no distribution.
Data: a synthetic task shaped for the model (`--data synthetic`) or a CSV file (`--data FILE`).
"""

from __future__ import annotations

from nnstudio.core.codegen import layer_call, literal, loss_expression, optimizer_expression
from nnstudio.core.datasets import SPARSE_LOSSES, input_dtype, is_classification_loss, model_shapes
from nnstudio.core.spec import ModelSpec
from nnstudio.core.text_safety import docstring_text

# Text from the file reaches this template only as Python literals (`literal`) or, in the
# docstring, reduced by `docstring_text` to characters that cannot end it.
_TEMPLATE = '''"""Trains the Keras model "{name}" with tf.distribute; written by nnstudio.

One machine, all its GPUs (MirroredStrategy):
    python {script} --epochs 10 -o trained.keras
Several machines (MultiWorkerMirroredStrategy): set TF_CONFIG on each machine, e.g.
    TF_CONFIG='{{"cluster": {{"worker": ["host1:12345", "host2:12345"]}}, "task": {{"type": "worker", "index": 0}}}}'
and run the same command with --strategy multi-worker on every machine (index 0 saves the model).
No distribution (CPU or one GPU): --strategy default.
Data: --data synthetic (made up, shaped for the model) or --data FILE.csv [--target COLUMN].
"""

import argparse
import csv
import json
import os

import numpy as np
import tensorflow as tf
import keras

INPUT_SHAPE = {input_shape}  # an axis of varying size gets a fixed size in the made-up data
INPUT_DTYPE = {input_dtype}
OUTPUT_SHAPE = {output_shape}
LOSS = {loss}
TARGETS = {targets}  # "regression", "sparse" (integer labels) or "classes" (0/1 or one-hot)


def build_model():
    """The model as designed in nnstudio, compiled."""
    model = keras.Sequential(
        [
{layers}
        ],
        name={model_name},
    )
    model.compile(
        loss=LOSS,
        optimizer={optimizer},{metrics}
    )
    return model


def make_strategy(name):
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi-worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def is_chief(name):
    """Whether this process writes the trained model (every process but multi-worker index > 0)."""
    if name != "multi-worker":
        return True
    task = json.loads(os.environ.get("TF_CONFIG", "{{}}")).get("task", {{}})
    return task.get("type", "worker") in ("chief", "worker") and int(task.get("index", 0)) == 0


def encode(labels, classes):
    units = OUTPUT_SHAPE[-1]
    if TARGETS == "sparse":
        return labels.astype("int32")
    if units == 1:
        return (labels > 0).astype("float32").reshape(-1, 1)
    return np.eye(units, dtype="float32")[np.minimum(labels, units - 1)]


def synthetic_data(samples, seed):
    """Inputs drawn at random; targets from a random teacher network (or its argmax, for classes)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((samples, *INPUT_SHAPE))
    if INPUT_DTYPE.startswith("int"):  # integers 0 .. 15
        x = np.clip(np.rint(x * 2) + 8, 0, 15)
    x = x.astype(INPUT_DTYPE)
    flat = x.reshape(samples, -1).astype("float64")
    if INPUT_DTYPE.startswith("int"):
        flat = (flat - 8) / 4
    width = int(np.prod(OUTPUT_SHAPE))
    hidden = np.tanh(flat @ rng.standard_normal((flat.shape[1], 16)) / np.sqrt(flat.shape[1]))
    out = hidden @ rng.standard_normal((16, width)) / 4.0
    if TARGETS == "regression":
        return x, out.reshape((samples, *OUTPUT_SHAPE)).astype("float32")
    classes = max(2, OUTPUT_SHAPE[-1])
    labels = np.argmax(hidden @ rng.standard_normal((16, classes)), axis=1)
    y = encode(labels, classes)
    if len(OUTPUT_SHAPE) > 1:  # the same label at every position of a multi-axis output
        y = np.broadcast_to(y.reshape((samples,) + (1,) * (len(OUTPUT_SHAPE) - 1) + y.shape[1:]),
                            (samples, *OUTPUT_SHAPE[:-1]) + y.shape[1:]).copy()
    return x, y


def csv_data(path, target_columns):
    """Features and targets from a CSV file with a header row; features are z-scored."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = [row for row in csv.reader(handle) if any(cell.strip() for cell in row)]
    header, body = rows[0], rows[1:]
    targets = [header.index(c) if c in header else int(c) - 1 for c in (target_columns or [header[-1]])]
    features = [i for i in range(len(header)) if i not in targets]
    x = np.array([[float(row[i]) for i in features] for row in body], dtype="float32")
    x = (x - x.mean(axis=0)) / np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
    if TARGETS == "regression" and len(targets) > 1:
        return x, np.array([[float(row[i]) for i in targets] for row in body], dtype="float32")
    cells = [row[targets[0]] for row in body]
    if TARGETS == "regression":
        try:
            return x, np.array([[float(c)] for c in cells], dtype="float32")
        except ValueError:
            pass
    names = sorted(set(cells))
    labels = np.array([names.index(c) for c in cells])
    return x, encode(labels, len(names))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategy", choices=["mirrored", "multi-worker", "default"], default="mirrored")
    parser.add_argument("--data", default="synthetic", help="synthetic, or a CSV file with a header row")
    parser.add_argument("--target", nargs="*", default=None, help="target column(s) of the CSV (default: the last)")
    parser.add_argument("--samples", type=int, default=1024, help="size of the synthetic data set")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32, help="per replica")
    parser.add_argument("--validation-split", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--output", default={default_output})
    args = parser.parse_args(argv)

    strategy = make_strategy(args.strategy)
    print(f"strategy: {{type(strategy).__name__}}, replicas: {{strategy.num_replicas_in_sync}}")
    if args.data == "synthetic":
        x, y = synthetic_data(args.samples, args.seed)
    else:
        x, y = csv_data(args.data, args.target)
    order = np.random.default_rng(args.seed).permutation(len(x))
    x, y = x[order], y[order]
    with strategy.scope():
        model = build_model()
    model.fit(
        x,
        y,
        epochs=args.epochs,
        batch_size=args.batch_size * strategy.num_replicas_in_sync,
        validation_split=args.validation_split,
        verbose=2,
    )
    if is_chief(args.strategy):
        model.save(args.output)
        print(f"saved {{args.output}}")


if __name__ == "__main__":
    main()
'''


def training_script(spec: ModelSpec, script_name: str = "train_model.py") -> str:
    """A standalone script that trains `spec` with tf.distribute (see the module docstring)."""
    input_shape, output_shape = model_shapes(spec)
    loss = spec.compile.loss
    if loss in SPARSE_LOSSES:
        targets = "sparse"
    elif is_classification_loss(loss):
        targets = "classes"
    else:
        targets = "regression"
    metrics = ""
    if spec.compile.metrics:
        metrics = f"\n        metrics=[{', '.join(literal(m) for m in spec.compile.metrics)}],"
    return _TEMPLATE.format(
        name=docstring_text(spec.name),
        script=docstring_text(script_name),
        input_shape=literal(list(input_shape)),
        input_dtype=literal(input_dtype(spec)),
        output_shape=literal(list(output_shape)),
        loss=loss_expression(spec.compile),
        targets=literal(targets),
        layers="\n".join(f"            {layer_call(layer)}," for layer in spec.layers),
        model_name=literal(spec.name),
        optimizer=optimizer_expression(spec.compile),
        metrics=metrics,
        default_output=literal(f"{spec.name}_trained.keras"),
    )
