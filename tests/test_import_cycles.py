"""No import cycle among the core's modules: each can be read (and tested) knowing only the
modules below it. core/search is checked by its own rules until its executors and groups
are one loop. Imports under ``if TYPE_CHECKING:`` are annotations, not imports, and are
left out (snapshot.py names trainer.TrainConfig that way)."""

import grimp

EXEMPT = "bn_studio.core.search"


def cycles(graph, package: str) -> list[list[str]]:
    """The strongly connected components (more than one module) of ``package``'s imports."""
    inside = sorted(m for m in graph.modules if m == package or m.startswith(package + "."))
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v: str) -> None:                  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.find_modules_directly_imported_by(v)):
            if w not in inside:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for m in inside:
        if m not in index:
            visit(m)
    return out


def core_cycles(graph) -> list[list[str]]:
    return [c for c in cycles(graph, "bn_studio.core")
            if not all(m == EXEMPT or m.startswith(EXEMPT + ".") for m in c)]


def test_the_core_has_no_import_cycle():
    graph = grimp.build_graph("bn_studio", exclude_type_checking_imports=True)
    assert core_cycles(graph) == []


def test_a_cycle_is_found_and_named():
    graph = grimp.build_graph("bn_studio", exclude_type_checking_imports=True)
    layers, trainer = "bn_studio.core.nn.layers", "bn_studio.core.training.trainer"
    graph.add_import(importer=layers, imported=trainer)
    found = core_cycles(graph)
    assert len(found) == 1 and {layers, trainer} <= set(found[0])
