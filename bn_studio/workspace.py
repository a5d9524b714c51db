"""Workspace files: the user's dataset, network, optimizer, seed and search, as plain JSON.

Written atomically (temp file in the same folder, fsync, rename), so a crash mid-write leaves
the previous file intact. No pickle: a workspace is data, never code.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

FORMAT = "bn-studio-workspace"
VERSION = 1


class WorkspaceError(ValueError):
    """A workspace file that cannot be used; the message is one line for the user."""


def save_workspace(path, state: dict) -> None:
    """Write ``state`` (JSON-able dict) to ``path`` atomically."""
    path = Path(path)
    doc = {"format": FORMAT, "version": VERSION, **state}
    text = json.dumps(_clean(doc), indent=1, allow_nan=False)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def load_workspace(path) -> dict:
    """Read a workspace; refuse broken, foreign or newer files with a clear message."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise WorkspaceError(f"{path.name}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise WorkspaceError(f"{path.name}: cannot be read ({e.__class__.__name__})") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise WorkspaceError(f"{path.name}: not a valid workspace (broken JSON at line "
                             f"{e.lineno}, column {e.colno})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise WorkspaceError(f"{path.name}: not a BN Studio workspace file")
    version = doc.get("version")
    if not isinstance(version, int):
        raise WorkspaceError(f"{path.name}: workspace has no valid version number")
    if version > VERSION:
        raise WorkspaceError(f"{path.name}: made by a newer BN Studio (workspace version "
                             f"{version}, this version reads up to {VERSION}); please update")
    return doc


def _clean(obj):
    """JSON-safe copy: tuples → lists, NumPy scalars/arrays → Python, NaN/inf → None."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if hasattr(obj, "tolist"):
        return _clean(obj.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
