"""Repeated blocks of a functional model's graph: a ResNet stage, a run of MobileNet inverted-residual
blocks, a DenseNet dense block, a run of Inception modules. The graph view draws each as one box.

A *block* is found two ways, names first:

- by name: Keras's applications name a block's layers with a common prefix (`conv2_block1_1_conv`,
  `block2a_expand_conv`, `block_3_expand`) or, in NASNet's cells, a common suffix
  (`normal_conv_1_5`). A layer named as Keras names layers by default (`activation_12`) joins the
  block of the layers it feeds (or else of those it reads) when they agree on one.
- by structure, for layers no name places: a *separator* is a layer every path through the graph
  passes (no connection jumps over it in a topological order); the layers strictly between two
  separators, plus the second one, form a single-entry, single-exit subgraph: a block when it holds
  more than one layer.

Consecutive blocks then form a *group*: those with the same stage name (`conv2` of `conv2_block1`,
`block2` of `block2a`), or else those with the same structural signature (layer types and their
connections inside the block). A group holds at least two blocks, or one block of `BIG_BLOCK`
layers or more (a NASNet cell of its own kind); it is kept only when it is convex (no path leaves
it and comes back), so that drawing it as one box keeps the graph acyclic.
Linear in the size of the graph, apart from sorting. No Qt, no Keras.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

from nnstudio.core.layers.registry import is_input
from nnstudio.core.spec import ModelSpec

COLLAPSE_FROM = 100  # a model with this many layers or more opens with its groups collapsed
BIG_BLOCK = 20  # a block this big is a group even when it is not repeated

_STAGED = re.compile(r"^([A-Za-z]+\d+)_(block\d+)_")  # conv2_block1_… (ResNet, DenseNet; not block5_sepconv1_…)
_STAGE_WORDS = re.compile(r"^((?:[A-Za-z]\w*?_)?stage_\d+)_(block_\d+)_")  # …_stage_0_block_1_… (ConvNeXt)
_REPEATS = re.compile(r"^([A-Za-z]+\d+)_(\d+)(?:_|$)")  # block35_10_… (InceptionResNetV2)
_LETTERED = re.compile(r"^([A-Za-z]+\d+)([a-z])_")  # block2a_… (EfficientNet)
_NUMBERED = re.compile(r"^([A-Za-z]+_?\d+)_")  # block_3_… (MobileNetV2), block1_… (VGG)
_CELL = re.compile(r"^[A-Za-z]\w*?_((?:stem|reduce)_\d+|\d+)$")  # normal_conv_1_5 (NASNet's cells)
_WORDS_NUMBERED = re.compile(r"^([A-Za-z][A-Za-z_]*?_\d+)_")  # expanded_conv_3_… (MobileNetV3)


@dataclass(frozen=True)
class BlockGroup:
    """Consecutive repeated blocks, or one big block: `name` (`conv2`, `block_4 … block_5`, `cell 0`),
    `blocks` (each block's layer ids, in graph order) and `members` (all of them, in the model's layer
    order)."""

    key: str
    name: str
    blocks: tuple[tuple[str, ...], ...]
    members: tuple[str, ...]
    staged: bool = False  # named after a stage (`conv2`) rather than its first and last blocks

    @property
    def count(self) -> int:
        return len(self.blocks)

    @property
    def label(self) -> str:
        """What the collapsed box says: `conv2 block ×3`, `block_4 … block_5 ×2`, `cell 0`."""
        if self.count == 1:
            return self.name
        return f"{self.name} block ×{self.count}" if self.staged else f"{self.name} ×{self.count}"


@dataclass
class _Block:
    key: str
    stage: str | None
    name: str
    ids: list[str]


def _snake(class_name: str) -> str:
    """The name Keras derives from a class name (`Conv2D` -> `conv2d`), as its `to_snake_case` does; an
    operation node's from its operation's class (`ops.Add` -> `add`, as `x + y` is named)."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", class_name.rpartition(".")[2])
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


@cache
def _default_names(class_name: str) -> re.Pattern[str]:
    """The names Keras gives a `class_name` layer by default (`conv2d`, `conv2d_3`)."""
    return re.compile(re.escape(_snake(class_name)) + r"(_\d+)?")


def _default_name(name: str, class_name: str) -> bool:
    """Whether `name` is one Keras gives by default (`conv2d_3`, `activation`)."""
    return _default_names(class_name).fullmatch(name) is not None


@lru_cache(maxsize=16384)  # a graph's blocks are found again after each edit of its structure
def name_key(name: str, class_name: str = "") -> tuple[str, str | None] | None:
    """The block and stage a layer's name places it in: ("conv2_block1", "conv2"), ("block2a",
    "block2"), ("block_3", None), ("cell 5", None); None when the name says nothing."""
    if class_name and _default_name(name, class_name):
        return None
    for staged in (_STAGED, _STAGE_WORDS, _REPEATS):
        found = staged.match(name)
        if found:
            return f"{found.group(1)}_{found.group(2)}", found.group(1)
    found = _LETTERED.match(name)
    if found:
        return f"{found.group(1)}{found.group(2)}", found.group(1)
    found = _NUMBERED.match(name)
    if found:
        return found.group(1), None
    found = _CELL.match(name)
    if found and name.count("_") >= 2:
        return f"cell {found.group(1)}", None
    found = _WORDS_NUMBERED.match(name)
    if found:
        return found.group(1), None
    return None


def _topological(ids: list[str], parents: dict[str, list[str]], children: dict[str, list[str]]) -> list[str] | None:
    """Kahn's order, ties broken by the model's layer order; None on a cycle."""
    place = {layer_id: i for i, layer_id in enumerate(ids)}
    waiting = {layer_id: len(set(parents[layer_id])) for layer_id in ids}
    ready = [place[layer_id] for layer_id in ids if waiting[layer_id] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        here = ids[heapq.heappop(ready)]
        order.append(here)
        for child in set(children[here]):
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, place[child])
    return order if len(order) == len(ids) else None


def _separators(order: list[str], parents: dict[str, list[str]]) -> list[bool]:
    """For each place in `order`: whether no connection jumps over it."""
    at = {layer_id: i for i, layer_id in enumerate(order)}
    jumps = [0] * (len(order) + 1)
    for target in order:
        for source in set(parents[target]):
            low, high = at[source] + 1, at[target]
            if low < high:
                jumps[low] += 1
                jumps[high] -= 1
    open_jumps = 0
    result = []
    for i in range(len(order)):
        open_jumps += jumps[i]
        result.append(open_jumps == 0)
    return result


def _signature(
    ids: list[str], classes: dict[str, str], parents: dict[str, list[str]], children: dict[str, list[str]], labels: dict
) -> tuple:
    """Layer types and how they connect inside the block, and how many connections come in from outside,
    whatever the order the layers are listed in: each layer is labelled by its type and its inputs'
    labels (in graph order), then by that and its readers' labels (backwards); the block by the sorted
    labels. `labels` numbers each distinct label, shared by all blocks compared."""
    inside = set(ids)

    def number(label: tuple) -> int:
        return labels.setdefault(label, len(labels))

    forward: dict[str, int] = {}
    for layer_id in ids:
        ins = sorted(forward[p] for p in parents[layer_id] if p in inside)
        outside = sum(1 for p in parents[layer_id] if p not in inside)
        forward[layer_id] = number(("f", classes[layer_id], tuple(ins), outside))
    backward: dict[str, int] = {}
    for layer_id in reversed(ids):
        outs = sorted(backward[c] for c in children[layer_id] if c in inside)
        backward[layer_id] = number(("b", forward[layer_id], tuple(outs)))
    return tuple(sorted(backward.values()))


_last: tuple[ModelSpec, tuple[BlockGroup, ...]] | None = None  # the newest spec's groups (specs are immutable)


def repeated_blocks(spec: ModelSpec) -> tuple[BlockGroup, ...]:
    """The groups of repeated blocks of a functional model, in graph order (none for a chain, a model
    with a cycle or a reference to something missing). Those of the newest spec asked for are kept:
    a model being opened has them found in the reading thread, and the graph view reads them."""
    global _last
    last = _last
    if last is not None and last[0] is spec:
        return last[1]
    groups = _repeated_blocks(spec)
    _last = (spec, groups)
    return groups


def _repeated_blocks(spec: ModelSpec) -> tuple[BlockGroup, ...]:
    if not spec.is_functional or not spec.layers:
        return ()
    ids = list(spec.ids())
    known = set(ids)
    if len(known) != len(ids):
        return ()
    parents: dict[str, list[str]] = {layer_id: [] for layer_id in ids}
    children: dict[str, list[str]] = {layer_id: [] for layer_id in ids}
    for position, layer in enumerate(spec.layers):
        for call in spec.connections(position):
            for ref in call:
                if ref.layer not in known:
                    return ()
                parents[layer.id].append(ref.layer)
                children[ref.layer].append(layer.id)
    order = _topological(ids, parents, children)
    if order is None:
        return ()
    by_id = {layer.id: layer for layer in spec.layers}
    classes = {layer_id: by_id[layer_id].class_name for layer_id in ids}
    keys = _name_keys(order, by_id, parents, children)
    blocks = _blocks(order, keys, classes, parents)
    groups = _groups(blocks, classes, parents, children)
    place = {layer_id: i for i, layer_id in enumerate(ids)}
    at = {layer_id: i for i, layer_id in enumerate(order)}
    found = []
    for run in groups:
        members = [layer_id for block in run for layer_id in block.ids]
        if not _convex(set(members), order, at, children):
            continue
        stage = run[0].stage if len(run) > 1 else None
        name = stage if stage is not None else run[0].name if len(run) == 1 else f"{run[0].name} … {run[-1].name}"
        found.append(
            BlockGroup(
                key=min(members, key=place.__getitem__),
                name=name,
                blocks=tuple(tuple(block.ids) for block in run),
                members=tuple(sorted(members, key=place.__getitem__)),
                staged=stage is not None,
            )
        )
    return tuple(found)


def _name_keys(order: list[str], by_id: dict, parents: dict, children: dict) -> dict[str, tuple[str, str | None]]:
    """Each layer's (block, stage) from its name. A layer named by default joins a block too: a merge
    (an `add` closing a residual block) the block of its input met last, another layer the block of
    its readers when they agree."""
    keys: dict[str, tuple[str, str | None]] = {}
    unnamed: list[str] = []
    for layer_id in order:
        layer = by_id[layer_id]
        if is_input(layer.class_name):
            continue
        key = name_key(layer.name, layer.class_name)
        if key is not None:
            keys[layer_id] = key
        elif _default_name(layer.name, layer.class_name):
            unnamed.append(layer_id)
    at = {layer_id: i for i, layer_id in enumerate(order)}
    for layer_id in unnamed:
        inputs = [p for p in set(parents[layer_id]) if p in keys]
        if len(set(parents[layer_id])) > 1 and inputs:
            keys[layer_id] = keys[max(inputs, key=at.__getitem__)]
    for layer_id in reversed(unnamed):
        if layer_id in keys:
            continue
        found = {keys[c] for c in children[layer_id] if c in keys}
        if len(found) == 1:
            keys[layer_id] = found.pop()
    return keys


def _blocks(order: list[str], keys: dict, classes: dict[str, str], parents: dict) -> list[_Block | None]:
    """The blocks in graph order (by their first layer); None stands for a layer in no block."""
    named: dict[str, _Block] = {}
    sequence: list[_Block | None] = []
    separators = _separators(order, parents)
    pending: list[str] = []  # unplaced layers since the last separator
    for layer_id, is_separator in zip(order, separators, strict=True):
        key = keys.get(layer_id)
        if key is not None:
            block = named.get(key[0])
            if block is None:
                block = named[key[0]] = _Block(key[0], key[1], key[0], [])
                sequence.append(block)
            block.ids.append(layer_id)
            if is_separator:
                pending = []
            continue
        pending.append(layer_id)
        if not is_separator:
            continue
        if len(pending) > 1 and not any(is_input(classes[p]) for p in pending):
            sequence.append(_Block(f"#{layer_id}", None, layer_id, list(pending)))
        else:
            sequence.extend(None for _ in pending)
        pending = []
    sequence.extend(None for _ in pending)
    return sequence


def _groups(
    sequence: list[_Block | None], classes: dict[str, str], parents: dict, children: dict
) -> list[list[_Block]]:
    """Runs of two or more consecutive blocks of one stage, or else of one structure; a big block alone."""
    runs: list[list[_Block]] = []
    current: list[_Block] = []
    signatures: dict[str, tuple] = {}
    labels: dict[tuple, int] = {}

    def alike(a: _Block, b: _Block) -> bool:
        if a.stage is not None or b.stage is not None:
            return a.stage == b.stage
        for block in (a, b):
            if block.key not in signatures:
                signatures[block.key] = _signature(block.ids, classes, parents, children, labels)
        return len(a.ids) > 1 and signatures[a.key] == signatures[b.key]

    for block in [*sequence, None]:
        if block is not None and current and alike(current[-1], block):
            current.append(block)
            continue
        if len(current) > 1 or (current and len(current[0].ids) >= BIG_BLOCK):
            runs.append(current)
        current = [block] if block is not None else []
    return runs


def _convex(members: set[str], order: list[str], at: dict[str, int], children: dict) -> bool:
    """Whether no path leaves `members` and comes back."""
    first = min(at[m] for m in members)
    last = max(at[m] for m in members)
    left: set[str] = set()  # outside layers reached from the group
    for layer_id in order[first : last + 1]:
        if layer_id in members:
            outside = (c for c in children[layer_id] if c not in members)
        elif layer_id in left:
            if any(c in members for c in children[layer_id]):
                return False
            outside = (c for c in children[layer_id])
        else:
            continue
        left.update(outside)
    return True


def group_of(groups: Iterable[BlockGroup]) -> dict[str, BlockGroup]:
    """Each grouped layer id -> its group."""
    return {layer_id: group for group in groups for layer_id in group.members}
