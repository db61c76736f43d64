"""Where each layer of a graph goes: grandalf's Sugiyama layout, left to right, kept stable across edits.

Layers are ranked by the longest path from the inputs (a column each), long connections get dummy
points in the columns they cross, the order within a column is chosen to avoid crossings, and
Brandes and Köpf's method places them. Stability: `GraphLayout` remembers the order each layer had
within its column the last time, and seeds the next layout with it (a new layer takes the place of
what it reads); grandalf's crossing reduction moves a layer only when there are crossings, so an
edit that adds a layer leaves the others in their order. No Qt here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace

from grandalf.graphs import Edge, Vertex, graph_core
from grandalf.layouts import SugiyamaLayout

Point = tuple[float, float]


@dataclass
class _Box:
    """grandalf's view of a vertex: its size across (w) and along (h) the direction of the layout."""

    w: float
    h: float
    xy: Point = (0.0, 0.0)


@dataclass
class _Route:
    points: list[Point] = field(default_factory=list)

    def setpath(self, points: list[Point]) -> None:
        self.points = [tuple(p) for p in points]  # type: ignore[misc]


@dataclass(frozen=True)
class Placement:
    """A layout: each node's centre and column, and each edge's route (its bends, source to target)."""

    centres: dict[str, Point]
    columns: dict[str, int]
    routes: dict[tuple[str, str], list[Point]]
    order: dict[str, float] = field(default_factory=dict)  # each node's place within its column


class GraphLayout:
    """Lays out a graph's nodes left to right; remembers the order within columns between calls."""

    def __init__(self, width: float = 170, height: float = 58, column_gap: float = 70, row_gap: float = 26) -> None:
        self.width = width
        self.height = height
        self.column_gap = column_gap
        self.row_gap = row_gap
        self._rank_order: dict[str, float] = {}  # node -> its place in its column, last time

    def forget(self) -> None:
        """Start afresh (another model)."""
        self._rank_order.clear()

    def place(self, nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> Placement:
        """Centres for `nodes` (in reading order: each after what it reads) joined by `edges` (source, target)."""
        placement = self.plan(nodes, edges, self._rank_order)
        self.remember(placement)
        return placement

    def remember(self, placement: Placement) -> None:
        """Seed the next layout with `placement`'s order within columns (done by `place`; after `plan`,
        by whoever takes its result)."""
        self._rank_order = dict(placement.order)

    def previous_order(self) -> dict[str, float]:
        """A copy of the order within columns the next layout is seeded with (for `plan` in another thread)."""
        return dict(self._rank_order)

    def plan(self, nodes: Sequence[str], edges: Sequence[tuple[str, str]], previous: dict[str, float]) -> Placement:
        """`place` without remembering anything, seeded with `previous` order: safe in another thread
        (grandalf is pure Python: the GUI thread keeps its turns while it runs)."""
        present = set(nodes)
        unique_edges = list(dict.fromkeys((a, b) for a, b in edges if a != b and a in present and b in present))
        vertices = {node: Vertex(node) for node in nodes}
        for vertex in vertices.values():
            vertex.view = _Box(self.height, self.width)
        order_of = {node: i for i, node in enumerate(nodes)}
        acyclic = _acyclic(nodes, unique_edges)
        components = []
        for members, links in _components(nodes, unique_edges):
            graph_edges = [Edge(vertices[a], vertices[b]) for a, b in links]
            for edge in graph_edges:
                edge.view = _Route()
            components.append(graph_core([vertices[node] for node in members], graph_edges))

        centres: dict[str, Point] = {}
        columns: dict[str, int] = {}
        routes: dict[tuple[str, str], list[Point]] = {}
        new_order: dict[str, float] = {}
        top = 0.0
        for component in components:
            sug = SugiyamaLayout(component)
            sug.xspace = self.row_gap
            sug.yspace = self.column_gap
            roots = sorted((v for v in component.sV if not v.e_in()), key=lambda v: order_of[v.data])
            _init_all(sug, roots, acyclic)
            known = _seed(sug, order_of, previous)
            # A first layout reduces crossings; after an edit the columns keep the order they had
            # (new layers go where what they read is), so nothing the person placed moves about.
            sug.draw(0 if known else 3)
            placed = [v for v in component.sV]
            lows = [v.view.xy[0] - v.view.w / 2 for v in placed]
            shift = top - min(lows)
            for v in placed:
                across, along = v.view.xy
                centres[v.data] = (along, across + shift)
                columns[v.data] = sug.grx[v].rank
            pitch = self.height + self.row_gap
            for layer in sug.layers:
                real = [v for v in layer if not getattr(sug.grx[v], "dummy", False) and hasattr(v, "data")]
                lowest = None
                for position, v in enumerate(real):
                    new_order[v.data] = position
                    # Brandes and Köpf's averaged placement can let two boxes of a column touch: keep a
                    # row's pitch between them, in the column's order.
                    along, across = centres[v.data]
                    if lowest is not None and across < lowest + pitch:
                        across = lowest + pitch
                        centres[v.data] = (along, across)
                    lowest = across
            for edge in component.sE:
                points = [(along, across + shift) for across, along in edge.view.points]
                routes[(edge.v[0].data, edge.v[1].data)] = points
            top = max(centres[v.data][1] for v in placed) + self.height / 2 + self.row_gap * 2
        return Placement(centres, columns, routes, new_order)


def _seed(sug: SugiyamaLayout, order_of: dict[str, int], previous: dict[str, float]) -> bool:
    """Order each column as it was last time, a new node where what it reads is; whether any
    node of this component was laid out before."""
    keys: dict[object, float] = {}
    known = False
    for layer in sug.layers:
        for v in layer:
            if hasattr(v, "data") and v.data in previous:
                keys[v] = previous[v.data]
                known = True
            else:
                ins = [keys[u] for u in _upstream(v) if u in keys]
                keys[v] = (sum(ins) / len(ins) + 0.5) if ins else len(layer) + order_of.get(getattr(v, "data", ""), 0)
        layer.sort(key=lambda v: keys[v])
    for layer in sug.layers:  # what grandalf's Layer.setup does for a reordered layer, without its
        step = 1.0 / (len(layer) - 1) if len(layer) > 1 else 1.0  # search of every layer (n² for n)
        for position, v in enumerate(layer):
            sug.grx[v].pos = position
            sug.grx[v].bar = position * step
    return known


def _components(nodes: Sequence[str], edges: list[tuple[str, str]]) -> list[tuple[list[str], list[tuple[str, str]]]]:
    """The connected parts of the graph (nodes in their given order, edges), the part of the first node first.
    grandalf's `Graph` finds them too, in time quadratic in the graph's size."""
    parent = {node: node for node in nodes}

    def root(node: str) -> str:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in edges:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[rb] = ra
    parts: dict[str, tuple[list[str], list[tuple[str, str]]]] = {}
    for node in nodes:
        parts.setdefault(root(node), ([], []))[0].append(node)
    for a, b in edges:
        parts[root(a)][1].append((a, b))
    return list(parts.values())


def _acyclic(nodes: Sequence[str], edges: list[tuple[str, str]]) -> bool:
    """Whether the graph has no cycle (a model's graph has none; grandalf then need not look for edges to turn)."""
    waiting = dict.fromkeys(nodes, 0)
    readers: dict[str, list[str]] = {node: [] for node in nodes}
    for a, b in edges:
        waiting[b] += 1
        readers[a].append(b)
    ready = [node for node, count in waiting.items() if count == 0]
    seen = 0
    while ready:
        node = ready.pop()
        seen += 1
        for reader in readers[node]:
            waiting[reader] -= 1
            if waiting[reader] == 0:
                ready.append(reader)
    return seen == len(waiting)


class _Ranks(list):
    """A layout's layers, each of which knows its rank: `index` without a search of every layer."""

    def __init__(self, layers: list) -> None:
        super().__init__(layers)
        self.rank = {id(layer): r for r, layer in enumerate(layers)}

    def index(self, layer: object, *_bounds: int) -> int:  # type: ignore[override]
        return self.rank[id(layer)]


def _init_all(sug: SugiyamaLayout, roots: list, acyclic: bool) -> None:
    """grandalf's `init_all` (ranks, dummy points on long edges, each layer set up), less its two
    quadratic steps: the search for edges to turn in a graph known to have no cycle, and each layer's
    search of the list of layers for its own rank."""
    if not acyclic:
        sug.init_all(roots=roots)
        return
    sug.alt_e = []
    sug.rank_all(roots, False)
    for edge in sug.g.E():
        sug.setdummies(edge)
    ranked = SimpleNamespace(layers=_Ranks(sug.layers), grx=sug.grx)
    for layer in sug.layers:
        layer.setup(ranked)
        layer.layout = sug  # what `setup` would have set
    sug.initdone = True


def _upstream(v: object) -> list[object]:
    """What `v` reads in the layout: its graph predecessors, or the dummy point's place on its edge."""
    neighbours = getattr(v, "N", None)
    if neighbours is None:
        return []
    try:
        return list(neighbours(-1))
    except (AttributeError, TypeError):
        return []
