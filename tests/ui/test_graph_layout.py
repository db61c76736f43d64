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


def test_a_graph_with_a_cycle_is_still_laid_out():
    """No model has a cycle, but a layout never fails on one: grandalf turns an edge round."""
    nodes = ["a", "b", "c", "d"]
    placement = GraphLayout(height=HEIGHT).place(nodes, [("a", "b"), ("b", "c"), ("c", "b"), ("c", "d")])
    assert set(placement.centres) == set(nodes)
    x = {name: centre[0] for name, centre in placement.centres.items()}
    assert x["a"] < x["b"] and x["a"] < x["c"] < x["d"]


def test_plan_remembers_nothing_and_place_seeds_the_next_layout_with_its_order():
    nodes = ["in", "left", "right", "out"]
    edges = [("in", "left"), ("in", "right"), ("left", "out"), ("right", "out")]
    layout = GraphLayout(height=HEIGHT)
    planned = layout.plan(nodes, edges, {})
    assert layout.previous_order() == {}  # what a background thread runs: no shared state changed
    placed = layout.place(nodes, edges)
    assert placed.centres == planned.centres
    assert layout.previous_order() == placed.order
    # seeded with the other order within the column, the two branches swap places
    swapped = layout.plan(nodes, edges, {**placed.order, "left": placed.order["right"], "right": placed.order["left"]})
    assert (swapped.centres["left"][1] < swapped.centres["right"][1]) != (
        placed.centres["left"][1] < placed.centres["right"][1]
    )
