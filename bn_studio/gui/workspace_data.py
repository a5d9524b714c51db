"""The dataset part of a workspace in the window: what saving stores (the gallery's settings,
the points, or a reference to a large imported file) and opening a workspace whose data is
such a reference: the rest opens at once, the file is read like an import (progress, Cancel)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bn_studio.core.data import csv_source
from bn_studio.workspace import WorkspaceError, dataset_section, read_dataset, stale_reference


def dataset_state(win, folder) -> dict:
    """The ``dataset`` section for a workspace saved in ``folder``. While a workspace's data
    file is still being read, its reference (the data in use is about to be replaced)."""
    model = win.model
    panel = win.panels.get("datasets")
    pending = getattr(panel, "pending_reference", None)
    if pending is not None:
        relative = csv_source.relative_path(pending.source.path, folder)
        return csv_source.to_dict(dataclasses.replace(pending, relative=relative))
    if model.spec is not None:
        return {"kind": "generated", **dataclasses.asdict(model.spec)}
    return dataset_section(model.dataset, folder)


def saved_note(state: dict, path) -> str | None:
    """A warning after saving if the workspace refers to a file that no longer holds its data."""
    why = stale_reference(state.get("dataset") or {})
    if why is None:
        return None
    return (f"Saved workspace {Path(path).name}, but {why[0].lower()}{why[1:]}: the "
            "workspace will open without its points until the file is back as it was.")


def open_reference(win, ws, folder, wait: bool) -> str:
    """Apply a checked workspace whose dataset is a file reference: the network and the
    search now, the data when the file has been read (here if ``wait``, else in the
    background). Returns the status line. ``wait``: WorkspaceError if the file cannot give
    the saved data back (the rest has opened)."""
    model = win.model
    model.set_config(ws.config)
    if ws.search:
        model.searches.apply_workspace(ws.search)
    panel = win.panels.get("datasets")
    if wait or panel is None or not hasattr(panel, "start_reading"):
        ds = read_dataset(ws.reference, folder)
        if not model.set_dataset(ds):
            raise WorkspaceError(f"{ds.name}: the workspace's dataset cannot be used")
        return ""
    win.raise_panel("datasets")
    panel.start_reading(ws.reference, folder)
    return f"; reading {ws.reference.name}…"
