"""The graph layout (grandalf's Sugiyama, left to right): columns follow the connections, boxes never
overlap, and adding a layer keeps every other layer's column and its order within the column."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from nnstudio.ui.graph.layout import GraphLayout

HEIGHT = 58.0


@st.composite
def dags(draw):
    """Random layer graphs: each layer reads zero to three earlier ones (repeats allowed)."""
    n = draw(st.integers(1, 30))
    nodes = [f"n{i}" for i in range(n)]
    edges = []
    for j in range(1, n):
        for i in draw(st.lists(st.integers(0, j - 1), max_size=3)):
            edges.append((nodes[i], nodes[j]))
    extra = draw(st.integers(0, n - 1))
    return nodes, edges, nodes[extra]


def columns_of(placement):
    columns: dict[float, list[tuple[float, str]]] = {}
    for name, (x, y) in placement.centres.items():
        columns.setdefault(x, []).append((y, name))
    return {x: [name for _, name in sorted(items)] for x, items in columns.items()}


@settings(max_examples=60, deadline=None)
@given(dags())
def test_layout_is_layered_without_overlaps_and_stable_when_a_layer_is_added(graph):
    nodes, edges, branch_from = graph
    layout = GraphLayout(height=HEIGHT)
    first = layout.place(nodes, edges)
    assert set(first.centres) == set(nodes)
    for a, b in set(edges):
        assert first.columns[a] < first.columns[b]  # left to right
        assert first.centres[a][0] < first.centres[b][0]
    for names in columns_of(first).values():
        ys = sorted(first.centres[name][1] for name in names)
        assert all(b - a >= HEIGHT for a, b in zip(ys, ys[1:], strict=False))  # no two boxes overlap

    second = layout.place([*nodes, "new"], [*edges, (branch_from, "new")])
    assert all(second.columns[name] == first.columns[name] for name in nodes)
    before, after = columns_of(first), columns_of(second)
    for x, names in before.items():
        assert [name for name in after[x] if name in names] == names


def test_a_skip_connection_is_routed_around_the_layer_it_skips():
    layout = GraphLayout()
    placement = layout.place(["in", "a", "b", "add"], [("in", "a"), ("a", "b"), ("b", "add"), ("in", "add")])
    route = placement.routes[("in", "add")]
    assert len(route) == 4  # two bends, one per column crossed
    assert all(
        abs(y - placement.centres["a"][1]) >= 58 or abs(x - placement.centres["a"][0]) > 1 for x, y in route[1:-1]
    )
