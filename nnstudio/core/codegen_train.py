"""Generate a standalone training script for one machine or several (`nnstudio code --train`).

The script trains with a custom step under a tf.distribute strategy: Keras's own `train_step`
run on every replica by `strategy.run` over a distributed tf.data pipeline, because Keras 3's
`model.fit` fails under MultiWorkerMirroredStrategy (keras-team/keras#20585). `--strategy
mirrored` (the default) uses every GPU of one machine, `multi-worker` several machines
(TF_CONFIG, or `--cluster slurm`), `default` no distribution. Data is synthetic (made on each
worker) or CSV files streamed and sharded per worker; checkpoints are written every epoch and a
restarted run resumes from the last epoch every worker finished; the chief writes the model.

Safe by construction: text from the model file reaches the script only as Python literals
(`literal`, inside the model-building lines of `codegen.model_lines` and the constants) or, in the
docstring, reduced by `docstring_text` to characters that cannot end it. The rest is fixed text.
"""

from __future__ import annotations

from nnstudio.core.codegen import literal, model_lines
from nnstudio.core.datasets import (
    INT_LEVELS,
    SPARSE_LOSSES,
    input_dtypes,
    io_shapes,
    is_classification_loss,
    token_count,
)
from nnstudio.core.spec import ModelSpec
from nnstudio.core.text_safety import docstring_text, file_stem

_DOCSTRING = '''"""Trains the Keras model "{name}" on one machine or several; written by nnstudio.

    python {script} --epochs 10 -o trained.keras              all GPUs of this machine
    python {script} --strategy default ...                    no distribution (CPU or one GPU)
    python {script} --strategy multi-worker --data DIR ...    several machines, one process on each

Several machines: every machine runs the same command, with TF_CONFIG naming the cluster and the
machine's own place in it, e.g. on the first of two (index 1 on the second):
    TF_CONFIG='{{"cluster": {{"worker": ["host1:12345", "host2:12345"]}}, "task": {{"type": "worker", "index": 0}}}}'
Under Slurm, start one task per machine with srun and pass --cluster slurm instead of TF_CONFIG.

Data (--data): synthetic (made on each worker, shaped for the model), a CSV file with a header
row, or a directory of CSV files with the same header. CSV rows are streamed with tf.data, shared
out among the workers (by file when there are at least as many files as workers, else by chunks
of rows) and never loaded whole; the features are z-scored with statistics from one pass over the
training rows (or their first --stats-rows rows), which are printed.

Checkpoints are written every epoch into --checkpoint-dir (one folder per worker). Run the same
command again after a crash and training resumes after the last epoch that every worker saved.
The chief (worker 0) alone writes the trained model, atomically, as a .keras file plain Keras loads.
"""
'''

_IMPORTS = """
import argparse
import csv
import glob
import json
import math
import os
import sys
import time

import keras
import numpy as np
import tensorflow as tf
from keras.utils import set_random_seed
"""

# Fixed text: everything below the model. `__DEFAULT_OUTPUT__` is replaced by a literal.
_BODY = r'''


KEEP_CHECKPOINTS = 3
CHUNK_ROWS = 1024  # CSV lines decoded together
STRATEGY_NAMES = {"mirrored": "MirroredStrategy", "multi-worker": "MultiWorkerMirroredStrategy", "default": "none"}
LOST_WORKER = (tf.errors.UnavailableError, tf.errors.AbortedError, tf.errors.CancelledError)


class Problem(Exception):
    """Something about the command line, the cluster or the data that the person has to fix (one line)."""


# ---- the cluster ----


def make_strategy(args):
    """The distribution strategy named by --strategy (and, for multi-worker, --cluster)."""
    if args.strategy == "mirrored":
        return tf.distribute.MirroredStrategy()
    if args.strategy == "default":
        return tf.distribute.get_strategy()
    if args.cluster == "slurm":
        resolver = slurm_resolver(args.port)
    elif "TF_CONFIG" in os.environ:
        resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
    else:
        raise Problem("--strategy multi-worker needs TF_CONFIG (or --cluster slurm); see --help")
    return tf.distribute.MultiWorkerMirroredStrategy(cluster_resolver=resolver)


def slurm_resolver(port_base):
    """The cluster of a Slurm job step (one task per worker, started by srun), by SlurmClusterResolver.

    The resolver shares a node's GPUs among its tasks; it cannot count zero GPUs, so on nodes
    without any it is given a nominal one per task, not handed out, and the workers use the CPU.
    """
    slurm = tf.distribute.cluster_resolver.SlurmClusterResolver
    if os.environ.get("CUDA_VISIBLE_DEVICES") != "":  # unset: nvidia-smi counts them
        try:
            resolver = slurm(port_base=port_base)
            if resolver.num_accelerators().get("GPU", 0) > 0:
                return resolver
        except (RuntimeError, OSError):  # no nvidia-smi (or it failed): a node without GPUs
            pass
    if "SLURM_STEP_TASKS_PER_NODE" not in os.environ:
        raise Problem("--cluster slurm: not inside a Slurm job step started by srun (no SLURM_STEP_TASKS_PER_NODE)")
    try:
        tasks = max(int(part.split("(")[0]) for part in os.environ["SLURM_STEP_TASKS_PER_NODE"].split(","))
        resolver = slurm(port_base=port_base, gpus_per_node=tasks, gpus_per_task=1, auto_set_gpu=False)
        spec = resolver.cluster_spec()
    except (RuntimeError, ValueError) as exc:
        raise Problem(f"--cluster slurm: Slurm's variables do not describe a job step ({exc})") from None
    return tf.distribute.cluster_resolver.SimpleClusterResolver(
        spec, task_type=resolver.task_type, task_id=resolver.task_id, num_accelerators={"GPU": 0}
    )


def describe_role(strategy):
    """(is_chief, name, workers): the chief writes the trained model, the name labels this
    process's checkpoint folder, and workers counts the processes that train together."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or resolver.task_type is None:
        return True, "local", 1
    task_type, task_id = resolver.task_type, int(resolver.task_id)
    jobs = resolver.cluster_spec().as_dict()
    chief = task_type == "chief" or (task_type == "worker" and task_id == 0 and "chief" not in jobs)
    return chief, f"{task_type}-{task_id}", len(jobs.get("chief", [])) + len(jobs.get("worker", []))


# ---- data ----


class Data:
    """Training and validation input functions (one pipeline per worker) and their row counts
    (all workers together)."""

    def __init__(self, train_fn, val_fn, train_rows, val_rows):
        self.train_fn, self.val_fn = train_fn, val_fn
        self.train_rows, self.val_rows = train_rows, val_rows


def is_validation(index, split):
    """Whether row `index` (0-based) is held out for validation: where floor(index * split) steps up."""
    i = tf.cast(index, tf.float64)
    return tf.floor((i + 1.0) * split) > tf.floor(i * split)


def validation_count(rows, split):
    """How many of `rows` rows `is_validation` holds out."""
    return int(math.floor(rows * split))


def encode_labels(labels, shape=None):
    """Integer class labels as the loss wants them for an output of `shape` (default: the model's
    output): integers, 0/1 (one unit), or one-hot rows."""
    shape = OUTPUT_SHAPE if shape is None else shape
    units = shape[-1]
    if TARGETS == "sparse":
        y = tf.cast(labels, tf.int32)
    elif units == 1:
        y = tf.cast(labels > 0, tf.float32)[:, None]
    else:
        y = tf.one_hot(tf.minimum(labels, units - 1), units)
    if len(shape) > 1:  # the same label at every position of a multi-axis output
        middle = list(shape[:-1])
        tail = y.shape[1:].as_list()
        y = tf.reshape(y, [-1] + [1] * len(middle) + tail)
        y = tf.broadcast_to(y, [tf.shape(y)[0], *middle] + tail)
    return y


def batched(data, context, args, shuffle):
    """Shuffle (training only), repeat, batch per replica and prefetch."""
    if shuffle:
        data = data.shuffle(args.shuffle_buffer, seed=args.seed + context.input_pipeline_id)
    batch = context.get_per_replica_batch_size(args.batch_size * context.num_replicas_in_sync)
    return data.repeat().batch(batch, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def keyed(arrays, keys):
    """One array per input (output): a dict by key for a model called with dicts, else a tuple."""
    return dict(zip(keys, arrays, strict=True)) if keys else tuple(arrays)


def synthetic_data(args, split):
    """A task shaped for the model: inputs drawn at random on each worker (each its own), targets
    from one random teacher network (or its argmax, for classes) that every worker shares. A model
    with several inputs gets the values cut into each Input's shape, one with several outputs a
    target for each."""
    teacher = np.random.default_rng(args.seed)
    sizes = [int(np.prod(shape)) for shape in INPUT_SHAPES]
    width = sum(sizes)
    w_hidden = teacher.standard_normal((width, 16)) / np.sqrt(width)
    heads = []
    for shape in OUTPUT_SHAPES:
        w_out = teacher.standard_normal((16, int(np.prod(shape)))) / 4.0
        heads.append((shape, w_out, teacher.standard_normal((16, max(2, shape[-1])))))

    def make(context, validation):
        rows = args.samples // context.num_input_pipelines
        rng = np.random.default_rng([args.seed, 1 + context.input_pipeline_id])
        x = rng.standard_normal((rows, width))
        index = np.arange(rows)
        held_out = np.floor((index + 1) * split) > np.floor(index * split)
        x = x[held_out] if validation else x[~held_out]
        if TOKENS is not None:  # token ids: each value's rank, spread evenly over 0 .. TOKENS - 1
            hidden = np.tanh(x @ w_hidden)
            ranks = np.empty(x.size, dtype="int64")
            ranks[np.argsort(x.ravel(), kind="stable")] = np.arange(x.size)
            x = (ranks * TOKENS // max(x.size, 1)).reshape(x.shape)
        elif len(INPUT_SHAPES) == 1 and INPUT_DTYPE.startswith("int"):  # rounded and shifted: still learnable
            x = np.clip(np.rint(x * 2) + INT_LEVELS // 2, 0, INT_LEVELS - 1)
            hidden = np.tanh((x - INT_LEVELS // 2) / 2 @ w_hidden)
        else:
            hidden = np.tanh(x @ w_hidden)
        inputs = []
        parts = np.split(x, np.cumsum(sizes)[:-1], axis=1)
        for part, shape, dtype in zip(parts, INPUT_SHAPES, INPUT_DTYPES, strict=True):
            if len(INPUT_SHAPES) > 1 and dtype.startswith("int"):
                part = np.clip(np.rint(part * 2) + INT_LEVELS // 2, 0, INT_LEVELS - 1)
            inputs.append(part.astype(dtype).reshape((-1, *shape)))
        targets = []
        for shape, w_out, w_class in heads:
            if TARGETS == "regression":
                targets.append((hidden @ w_out).reshape((-1, *shape)).astype("float32"))
            else:
                targets.append(encode_labels(np.argmax(hidden @ w_class, axis=1), shape).numpy())
        features = inputs[0] if len(inputs) == 1 and not INPUT_KEYS else keyed(inputs, INPUT_KEYS)
        labels = targets[0] if len(targets) == 1 and not OUTPUT_KEYS else keyed(targets, OUTPUT_KEYS)
        data = tf.data.Dataset.from_tensor_slices((features, labels))
        return batched(data, context, args, shuffle=not validation)

    def train_fn(context):
        return make(context, False)

    def val_fn(context):
        return make(context, True)

    val_rows = validation_count(args.samples, split)
    return Data(train_fn, val_fn, args.samples - val_rows, val_rows)


def csv_files(path):
    """A CSV file, or the .csv files of a directory (sorted, so every worker sees the same list)."""
    if os.path.isdir(path):
        files = sorted(glob.glob(os.path.join(path, "*.csv")))
        if not files:
            raise Problem(f"{path}: the directory holds no .csv files")
        return files
    if not os.path.isfile(path):
        raise Problem(f"{path}: no such file or directory")
    return [path]


def read_head(path):
    """The header row's cells and the delimiter (comma, semicolon or tab) of a CSV file."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            first = handle.readline().rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise Problem(f"{path}: cannot read the file: {exc}") from None
    if not first.strip():
        raise Problem(f"{path}: the first line is empty; expected a header row")
    delimiter = max(",;\t", key=first.count)
    return [cell.strip() for cell in next(csv.reader([first], delimiter=delimiter))], delimiter


def column_index(header, column):
    """The 0-based index of a column given by header name or 1-based number."""
    if column in header:
        return header.index(column)
    if column.isdigit() and 1 <= int(column) <= len(header):
        return int(column) - 1
    raise Problem(f"no column {column!r}; the columns are {', '.join(header)}")


class CsvPlan:
    """Which columns are features and targets, and how one file's lines become chunks of rows."""

    def __init__(self, files, targets, split):
        self.files, self.split = files, split
        self.header, self.delimiter = read_head(files[0])
        for path in files[1:]:
            if read_head(path) != (self.header, self.delimiter):
                raise Problem(f"{path}: its header differs from {files[0]}'s; every file needs the same columns")
        self.targets = [column_index(self.header, c) for c in targets] if targets else [len(self.header) - 1]
        self.features = [i for i in range(len(self.header)) if i not in self.targets]
        if len(self.features) != int(np.prod(INPUT_SHAPE)):
            names = ", ".join(self.header[i] for i in self.features)
            raise Problem(
                f"the model's Input takes {int(np.prod(INPUT_SHAPE))} features but {files[0]} has "
                f"{len(self.features)} feature columns ({names})"
            )

    def lines(self, path, chunk_rows=CHUNK_ROWS):
        """The file's lines after the header in chunks, numbered from 0: (number, lines)."""
        return tf.data.TextLineDataset(path).skip(1).batch(chunk_rows).enumerate()

    def decoder(self, numeric_targets, part, chunk_rows=CHUNK_ROWS):
        """A function from (number, lines) to (x, y, held_out): x [rows, features] float32,
        y [rows, targets] float32 (or the cells' text), held_out whether each row is for validation;
        `part` keeps "train" rows, "validation" rows or "all"."""
        columns = sorted(self.features + self.targets)
        target_type = tf.float32 if numeric_targets else tf.string
        required = [tf.constant([], tf.float32 if i in self.features else target_type) for i in columns]
        x_at = [columns.index(i) for i in self.features]
        y_at = [columns.index(i) for i in self.targets]
        split, delimiter = self.split, self.delimiter

        def decode(number, lines):
            index = number * chunk_rows + tf.range(tf.size(lines, out_type=tf.int64))
            keep = tf.strings.length(tf.strings.strip(lines)) > 0
            held_out = is_validation(index, split)
            if part == "train":
                keep &= ~held_out
            elif part == "validation":
                keep &= held_out
            cells = tf.io.decode_csv(tf.boolean_mask(lines, keep), required, field_delim=delimiter, select_cols=columns)
            x = tf.stack([cells[i] for i in x_at], axis=1)
            y = tf.stack([cells[i] for i in y_at], axis=1)
            return x, y, tf.boolean_mask(held_out, keep)

        return decode

    def find_bad_cell(self, path):
        """Where the first cell that is not a number is (its row as a spreadsheet counts, its column)."""
        numeric = self.features + (self.targets if TARGETS == "regression" else [])
        with open(path, newline="", encoding="utf-8-sig") as handle:
            for number, row in enumerate(csv.reader(handle, delimiter=self.delimiter), start=1):
                if number == 1 or not any(cell.strip() for cell in row):
                    continue
                if len(row) != len(self.header):
                    return f"row {number}: has {len(row)} cells; expected {len(self.header)} like the header"
                for i in numeric:
                    try:
                        float(row[i])
                    except ValueError:
                        found = f"found {row[i]!r}" if row[i].strip() else "the cell is empty"
                        return f"row {number}, column {self.header[i]!r} ({i + 1}): expected a number, {found}"
        return None


def csv_statistics(plan, limit):
    """One pass over the files, or until `limit` training rows: the (training, validation) rows of
    each file (None after a sample), rows seen, the training rows' feature mean and std, whether the
    targets are numbers, and the class labels seen when they are not."""
    numeric = TARGETS == "regression"
    counts, seen = [], 0
    total = squares = 0.0
    labels = set()
    decode = plan.decoder(False, "all")
    for path in plan.files:
        train_rows = val_rows = 0
        try:
            for x, y, held_out in plan.lines(path).map(decode, num_parallel_calls=tf.data.AUTOTUNE):
                if limit and seen >= limit:
                    return None, *moments(seen, total, squares), numeric, labels
                held_out = held_out.numpy()
                x, cells = x.numpy()[~held_out].astype(np.float64), y.numpy()[~held_out]
                train_rows += len(x)
                val_rows += int(held_out.sum())
                seen += len(x)
                total = total + x.sum(axis=0)
                squares = squares + (x * x).sum(axis=0)
                if numeric:
                    try:
                        cells.astype(np.float64)
                    except ValueError:
                        if len(plan.targets) > 1:
                            raise Problem(f"{path}: {plan.find_bad_cell(path)}") from None
                        numeric = False  # one target column of text: class labels
                if not numeric:
                    labels.update(cells[:, 0].tolist())
        except tf.errors.InvalidArgumentError as exc:
            raise Problem(f"{path}: {plan.find_bad_cell(path) or exc.message.splitlines()[0]}") from None
        counts.append((train_rows, val_rows))
    if seen == 0:
        raise Problem(f"{plan.files[0]}: no training rows")
    return counts, *moments(seen, total, squares), numeric, labels


def moments(count, total, squares):
    """(count, mean, std) from sums; a feature that never changes gets std 1."""
    mean = total / count
    std = np.sqrt(np.maximum(squares / count - mean * mean, 0.0))
    return count, mean.astype("float32"), np.where(std > 1e-12, std, 1.0).astype("float32")


def count_rows(files, split):
    """The (training, validation) rows of each file from its line count, without parsing it."""
    counts = []
    for path in files:
        lines, last = 0, b"\n"
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 24):
                lines += chunk.count(b"\n")
                last = chunk[-1:]
        rows = lines + (last != b"\n") - 1
        counts.append((rows - validation_count(rows, split), validation_count(rows, split)))
    return counts


def shares_by_file(counts, workers):
    """Whether sharing out whole files gives every worker training rows, and validation rows if any."""
    shares = [counts[index::workers] for index in range(workers)]
    has_validation = any(val for _, val in counts)
    return all(
        share and sum(train for train, _ in share) > 0 and (sum(val for _, val in share) > 0 or not has_validation)
        for share in shares
    )


def class_keys(labels):
    """Class labels in a stable order: by value when all are numbers, else alphabetically."""
    texts = sorted(label.decode("utf-8") for label in labels)
    try:
        return sorted(texts, key=float)
    except ValueError:
        return texts


def check_classes(keys):
    units, count = OUTPUT_SHAPE[-1], len(keys)
    if TARGETS == "sparse":
        ok, wanted = count <= units, f"at least {count}"
    elif units == 1:
        ok, wanted = count <= 2, "2 classes for 1 output"
    else:
        ok, wanted = count == units, "one output per class"
    if not ok:
        raise Problem(
            f"the target column has {count} classes ({', '.join(keys[:10])}) but the model has {units} outputs; "
            f"expected {wanted}"
        )


def csv_data(args, split, workers):
    """Streamed CSV data: statistics from one pass (printed), then pipelines that read each worker's share."""
    if len(INPUT_SHAPES) > 1 or len(OUTPUT_SHAPES) > 1:
        raise Problem(
            f"CSV data is for models with one input and one output; this model has {len(INPUT_SHAPES)} input(s) "
            f"and {len(OUTPUT_SHAPES)} output(s): use --data synthetic"
        )
    plan = CsvPlan(csv_files(args.data), args.target, split)
    started = time.perf_counter()
    counts, seen, mean, std, numeric, labels = csv_statistics(plan, args.stats_rows)
    if counts is None:  # the statistics came from a sample; count the rows without parsing them
        counts = count_rows(plan.files, split)
    train_rows, val_rows = sum(train for train, _ in counts), sum(val for _, val in counts)
    by_file = shares_by_file(counts, workers)
    # sharing out chunks of rows: small enough that every worker gets several
    chunk_rows = CHUNK_ROWS if by_file else max(1, min(CHUNK_ROWS, (train_rows + val_rows) // (8 * workers)))
    print(
        f"data: {len(plan.files)} file(s), {train_rows} training and {val_rows} validation rows, shared out by "
        f"{'file' if by_file else f'chunks of {chunk_rows} rows'}; statistics from {seen} training rows "
        f"in {time.perf_counter() - started:.1f} s"
    )
    normalise = not INPUT_DTYPE.startswith("int")
    if normalise:
        print("features normalised (z-score); feed the trained model (x - mean) / std with")
        print(f"mean = {json.dumps([round(float(v), 7) for v in mean])}")
        print(f"std = {json.dumps([round(float(v), 7) for v in std])}")
    else:
        print(f"features fed as they are: the model's Input takes {INPUT_DTYPE} (e.g. token ids)")
    table = None
    if not numeric:
        keys = class_keys(labels)
        check_classes(keys)
        print(f"classes: {json.dumps(keys)}")
        initializer = tf.lookup.KeyValueTensorInitializer(tf.constant(keys), tf.range(len(keys), dtype=tf.int64))
        table = tf.lookup.StaticHashTable(initializer, -1)

    def prepare(x, y):
        x = tf.reshape((x - mean) / std if normalise else x, [-1, *INPUT_SHAPE])
        x = tf.cast(x, INPUT_DTYPE)
        if numeric:
            return x, tf.reshape(y, [-1, *OUTPUT_SHAPE])
        labels = table.lookup(y[:, 0])
        unseen = tf.debugging.assert_non_negative(labels, message="a class label the statistics pass did not see")
        with tf.control_dependencies([unseen]):
            return x, encode_labels(labels)

    def make(context, part):
        workers, index = context.num_input_pipelines, context.input_pipeline_id
        decode = plan.decoder(numeric, part, chunk_rows)

        def read(path):
            return plan.lines(path, chunk_rows).map(decode)

        def lines(path):
            return plan.lines(path, chunk_rows)

        def row(x, y, held_out):
            return x, y

        files = tf.data.Dataset.from_tensor_slices(plan.files)
        if by_file:  # each worker reads its own files
            chunks = files.shard(workers, index).interleave(read, cycle_length=4, num_parallel_calls=tf.data.AUTOTUNE)
        else:  # every worker reads every file and decodes every workers-th chunk of lines
            chunks = files.flat_map(lines).shard(workers, index).map(decode, num_parallel_calls=tf.data.AUTOTUNE)
        rows = chunks.map(row).unbatch()
        if part == "train":
            rows = rows.shuffle(args.shuffle_buffer, seed=args.seed + index)
        batch = context.get_per_replica_batch_size(args.batch_size * context.num_replicas_in_sync)
        rows = rows.repeat().batch(batch, drop_remainder=True)
        return rows.map(prepare, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)

    def train_fn(context):
        return make(context, "train")

    def val_fn(context):
        return make(context, "validation")

    return Data(train_fn, val_fn, train_rows, val_rows), *((mean, std) if normalise else (None, None))


# ---- training ----


def checkpoint_number(path):
    return int(path.rsplit("-", 1)[1])


def agreed_checkpoint(strategy, manager, multi_worker):
    """The newest epoch whose checkpoint every worker holds (0: none), so that all resume alike:
    a worker killed while the others were saving may lack the newest one."""
    mine = [checkpoint_number(p) for p in manager.checkpoints][-KEEP_CHECKPOINTS:]
    if not multi_worker:
        return mine[-1] if mine else 0
    slots = np.full((1, KEEP_CHECKPOINTS), -1, dtype=np.int64)
    slots[0, : len(mine)] = mine

    def held(context):
        return tf.constant(slots)

    everyone = strategy.gather(strategy.experimental_distribute_values_from_function(held), axis=0)
    common = set.intersection(*(set(row.tolist()) - {-1} for row in everyone.numpy()))
    return max(common) if common else 0


def log_line(values):
    return " ".join(f"{name}={value:.6g}" for name, value in values.items())


def train(args):
    strategy = make_strategy(args)
    chief, role, workers = describe_role(strategy)
    multi_worker = workers > 1
    replicas = strategy.num_replicas_in_sync
    global_batch = args.batch_size * replicas
    print(f"strategy: {STRATEGY_NAMES[args.strategy]}, workers: {workers}, replicas: {replicas}, this process: {role}")
    split = args.validation_split
    if args.data == "synthetic":
        data, mean, std = synthetic_data(args, split), None, None
    else:
        data, mean, std = csv_data(args, split, workers)
    steps = args.steps_per_epoch or data.train_rows // global_batch
    val_steps = math.ceil(data.val_rows / global_batch)  # the last batch wraps round to the first rows
    if steps < 1:
        raise Problem(f"{data.train_rows} training rows do not fill one global batch of {global_batch}")

    set_random_seed(args.seed)
    with strategy.scope():
        model = build_model()
        model.optimizer.build(model.trainable_variables)
    epoch = tf.Variable(0, dtype=tf.int64, trainable=False)
    checkpoint = tf.train.Checkpoint(model=model, optimizer=model.optimizer, epoch=epoch)
    folder = os.path.join(args.checkpoint_dir or os.path.splitext(args.output)[0] + "_checkpoints", role)
    manager = tf.train.CheckpointManager(checkpoint, folder, max_to_keep=KEEP_CHECKPOINTS)
    start = agreed_checkpoint(strategy, manager, multi_worker)
    if start:
        path = os.path.join(folder, f"ckpt-{start}")
        try:
            checkpoint.restore(path).assert_existing_objects_matched()
        except (AssertionError, ValueError, tf.errors.OpError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise Problem(f"{path} is not a checkpoint of this model ({first}); remove {folder}") from None
        print(f"resuming after epoch {start} from {path}")

    train_iterator = iter(strategy.distribute_datasets_from_function(data.train_fn))
    val_iterator = iter(strategy.distribute_datasets_from_function(data.val_fn)) if val_steps else None

    @tf.function
    def train_step(iterator):
        strategy.run(model.train_step, args=(next(iterator),))

    @tf.function
    def test_step(iterator):
        strategy.run(model.test_step, args=(next(iterator),))

    number = start
    try:
        for number in range(start + 1, args.epochs + 1):
            started = time.perf_counter()
            model.reset_metrics()
            for _ in range(steps):
                train_step(train_iterator)
            logs = {name: float(value) for name, value in model.get_metrics_result().items()}
            seconds = time.perf_counter() - started
            if val_iterator is not None:
                model.reset_metrics()
                for _ in range(val_steps):
                    test_step(val_iterator)
                logs.update({f"val_{name}": float(value) for name, value in model.get_metrics_result().items()})
            epoch.assign(number)
            manager.save(checkpoint_number=number)
            speed = steps * global_batch / seconds
            print(f"epoch {number}/{args.epochs} {log_line(logs)} ({seconds:.2f} s, {speed:.0f} samples/s)", flush=True)
    except LOST_WORKER as exc:
        raise Problem(
            f"lost touch with another worker during epoch {number} ({type(exc).__name__}); "
            f"run the same command on every worker to resume after epoch {number - 1}"
        ) from None
    except tf.errors.InvalidArgumentError as exc:
        raise Problem(f"bad data during epoch {number}: {exc.message.splitlines()[0]}") from None
    except tf.errors.OutOfRangeError:
        raise Problem(f"this worker's share of the data is empty ({role}); use more rows or fewer workers") from None

    if chief:
        save_atomically(model, args.output)
        if mean is not None:
            notes = os.path.splitext(args.output)[0] + "_normalisation.json"
            write_atomically(notes, json.dumps({"mean": mean.tolist(), "std": std.tolist()}) + "\n")
        print(f"saved {args.output}")


def save_atomically(model, path):
    """model.save into a temporary file next to `path`, then rename it over `path`."""
    folder, name = os.path.split(os.path.abspath(path))
    temporary = os.path.join(folder, f".{name}.{os.getpid()}.tmp.keras")
    try:
        model.save(temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def write_atomically(path, text):
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategy", choices=["mirrored", "multi-worker", "default"], default="mirrored")
    parser.add_argument(
        "--cluster", choices=["tf-config", "slurm"], default="tf-config", help="multi-worker: who describes the cluster"
    )
    parser.add_argument("--port", type=int, default=8888, help="--cluster slurm: the first port of each node's workers")
    parser.add_argument("--data", default="synthetic", help="synthetic, a CSV file, or a directory of CSV files")
    parser.add_argument("--target", nargs="*", default=None, help="target column(s), name or number; default: last")
    parser.add_argument("--samples", type=int, default=1024, help="size of the synthetic data (all workers together)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32, help="per replica; the global batch is this x replicas")
    parser.add_argument("--steps-per-epoch", type=int, default=0, help="default: training rows / global batch")
    parser.add_argument("--validation-split", type=float, default=0.2)
    parser.add_argument("--shuffle-buffer", type=int, default=10000, help="rows each worker shuffles among")
    parser.add_argument("--stats-rows", type=int, default=0, help="CSV: statistics from the first N training rows")
    parser.add_argument("--checkpoint-dir", default=None, help="default: OUTPUT without .keras, plus _checkpoints")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--output", default=__DEFAULT_OUTPUT__)
    args = parser.parse_args(argv)
    if not 0.0 <= args.validation_split < 1.0:
        parser.error("--validation-split must be at least 0 and below 1")
    if args.epochs < 1 or args.batch_size < 1 or args.samples < 1 or args.shuffle_buffer < 1:
        parser.error("--epochs, --batch-size, --samples and --shuffle-buffer must be at least 1")
    if not args.output.endswith(".keras"):
        parser.error("--output must end in .keras")
    try:
        train(args)
    except Problem as exc:
        sys.exit(f"{parser.prog}: error: {exc}")


if __name__ == "__main__":
    main()
'''


def _targets(loss: str) -> str:
    """How the script encodes targets for `loss`: "sparse" integers, "classes" (0/1 or one-hot), or "regression"."""
    if loss in SPARSE_LOSSES:
        return "sparse"
    return "classes" if is_classification_loss(loss) else "regression"


def training_script(spec: ModelSpec, script_name: str = "train_model.py") -> str:
    """A standalone script that trains `spec` on one machine or several (see the module docstring)."""
    input_shapes, output_shapes = io_shapes(spec)
    model = "\n".join(f"    {line}" for line in model_lines(spec))
    head = [
        _DOCSTRING.format(name=docstring_text(spec.name), script=docstring_text(script_name)) + _IMPORTS,
        "# ---- the model, as designed in nnstudio ----",
        f"INPUT_SHAPES = {literal([list(shape) for shape in input_shapes])}  # an axis of varying size: a fixed size",
        f"INPUT_DTYPES = {literal(input_dtypes(spec))}",
        "INPUT_SHAPE, INPUT_DTYPE = INPUT_SHAPES[0], INPUT_DTYPES[0]  # the first Input (the only one CSV data feeds)",
        f"INT_LEVELS = {INT_LEVELS}  # made-up integer inputs are 0 .. INT_LEVELS - 1",
        f"TOKENS = {literal(token_count(spec))}  # the first layer takes token ids 0 .. TOKENS - 1 (an Embedding), else None",
        f"OUTPUT_SHAPES = {literal([list(shape) for shape in output_shapes])}",
        "OUTPUT_SHAPE = OUTPUT_SHAPES[0]",
        f"INPUT_KEYS = {literal(list(spec.dict_input_keys()))}  # a model called with dicts: their keys, else []",
        f"OUTPUT_KEYS = {literal(list(spec.dict_output_keys()))}",
        f'TARGETS = {literal(_targets(spec.compile.loss))}  # "regression", "sparse" (integer labels) or "classes"',
        "",
        "",
        "def build_model():",
        '    """The model as designed in nnstudio, compiled with its loss, optimizer and metrics."""',
        model,
        "    return model",
    ]
    return "\n".join(head) + _BODY.replace("__DEFAULT_OUTPUT__", literal(f"{file_stem(spec.name)}_trained.keras"))
