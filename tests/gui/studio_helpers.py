"""Helpers shared by the GUI tests (fixtures are in conftest.py)."""


def advance(model, steps, qtbot=None):
    """Train ``steps`` steps, wait until the snapshot has arrived (and, given qtbot, been
    drawn), and return it."""
    model.step(steps)
    model.flush()
    if qtbot is not None:
        qtbot.wait(50)
    return model.snapshot
