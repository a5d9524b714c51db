"""Lesson packs: one JSON format for the built-in lessons and for lessons teachers write.

A pack holds a workspace (dataset + network and optimizer settings), which controls are hidden
or locked, the steps, a "predict, then press Play" question and its answer, and optional
mid-run changes at given steps. The built-in lessons are packs shipped in
``bn_studio.resources/lessons`` and read with the same parser as a file a user opens, so a
hostile file gets one clear line (LessonPackError), never a traceback.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ...errors import checked
from .. import limits
from ..data.datasets import DatasetSpec

FORMAT = "bn-studio-lesson"
VERSION = 1
MAX_PACK_BYTES = 256 * 1024
MAX_CONTAINERS = 1000               # lists and objects in one pack
MAX_TEXT = 4000                     # characters of one text field
MAX_STEPS = 20                      # steps of one lesson

# Built-in experiment pages of the lessons panel ("none": text, question and Play only).
EXPERIMENTS = ("none", "grid_vs_random", "scales", "bn_by_hand", "why_bn", "test_time",
               "softmax", "lr_jump", "alpha_range", "covariate_shift", "test_estimates",
               "bn_placement", "minibatch_noise", "beta_sensitivity", "importance")
PANELS = ("decision_regions", "datasets", "network", "curves", "histograms", "test_time_bn",
          "softmax_inspector", "tuning", "lessons", "diagnostics", "unit_maps")
# Controls a pack may hide or lock: the network panel's settings and the dataset gallery.
CONTROLS = ("dataset", "layers", "activation", "optimizer", "lr", "momentum", "beta1", "beta2",
            "batch", "l2", "decay", "seed", "bn_decay")
# Settings a lesson does not name keep these values, so lessons do not inherit odd leftovers.
LESSON_DEFAULTS = {"hidden": (32, 32), "activation": "relu", "optimizer": "adam", "lr": 0.01,
                   "batch": 64, "eval_every": 10}
KEYS = {"format", "version", "id", "title", "intro", "steps", "question", "answer",
        "experiment", "panel", "workspace", "speed", "controls", "changes",
        "reveal_answer_at_step"}
ID = re.compile(r"[a-z0-9_]{1,40}\Z")


class LessonPackError(ValueError):
    """A lesson pack that cannot be used; the message is one line for the user."""


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    intro: str                   # what to watch, in two or three sentences
    steps: tuple[str, ...]       # what to do
    question: str                # asked before Play: predict, then press Play
    answer: str                  # revealed after Play (at reveal_at_step)
    experiment: str = "none"     # which interactive page the lessons panel shows
    panel: str = "curves"        # which panel to bring forward
    dataset: dict | None = None  # DatasetSpec fields (None: keep the studio's data)
    config: dict = field(default_factory=dict)   # TrainConfig fields (changes included)
    speed: float | None = None   # teaching speed in steps per second (None: as fast as possible)
    hidden_controls: tuple[str, ...] = ()
    locked_controls: tuple[str, ...] = ()
    # The answer shows once Play has run the twins this far; None: the lesson's experiment,
    # not Play, answers the question, so only the "Show answer" button reveals it.
    reveal_at_step: int | None = 0

    def train_config(self):
        """The TrainConfig this lesson sets up (its settings over LESSON_DEFAULTS)."""
        from ..training.trainer import TrainConfig
        return TrainConfig(**{**LESSON_DEFAULTS, **self.config})


def read_pack(path) -> Lesson:
    """Read and check a lesson pack file; LessonPackError (one line) if it cannot be used."""
    path = Path(path)
    data = limits.read_small_file(path, MAX_PACK_BYTES, LessonPackError, "lesson pack")
    try:
        return parse_pack(data)
    except LessonPackError as e:
        raise LessonPackError(f"{path.name}: {e}") from None


def parse_pack(data: bytes | str) -> Lesson:
    """The lesson in a pack's bytes or text; every problem is one LessonPackError."""
    if isinstance(data, bytes):
        if len(data) > MAX_PACK_BYTES:
            raise LessonPackError(f"larger than the limit on lesson packs "
                                  f"({MAX_PACK_BYTES // 1024} KiB)")
        try:
            data = limits.json_text(data)
        except UnicodeDecodeError:
            raise LessonPackError("not a lesson pack (not UTF-8 text)") from None
    if data.count("[") + data.count("{") > MAX_CONTAINERS:
        raise LessonPackError(f"more than {MAX_CONTAINERS} lists and objects")
    try:
        doc = json.loads(data)
    except json.JSONDecodeError as e:
        raise LessonPackError(f"not a lesson pack (broken JSON at line {e.lineno}, column "
                              f"{e.colno})") from None
    except (ValueError, RecursionError) as e:
        raise LessonPackError(f"not a lesson pack ({e.__class__.__name__})") from None
    return checked(check_pack, doc, LessonPackError, "invalid lesson")


def check_pack(doc) -> Lesson:
    """Validate a parsed pack (all of it, before anything is applied)."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise LessonPackError("not a BN Studio lesson pack (its \"format\" must be "
                              f"\"{FORMAT}\")")
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise LessonPackError("lesson pack has no valid version number")
    if version > VERSION:
        raise LessonPackError(f"made by a newer BN Studio (lesson version {version}, this "
                              f"version reads up to {VERSION}); please update")
    unknown = sorted(set(doc) - KEYS)
    if unknown:
        raise LessonPackError(f"unknown key {limits.shown(unknown[0])} (known: "
                              f"{', '.join(sorted(KEYS))})")
    lesson_id = doc.get("id")
    if not isinstance(lesson_id, str) or not ID.match(lesson_id):
        raise LessonPackError("a lesson's id must be 1–40 lower-case letters, digits or _")
    texts = {k: _text(doc, k, required=True) for k in ("title", "question", "answer")}
    steps = doc.get("steps", [])
    if not isinstance(steps, list) or len(steps) > MAX_STEPS:
        raise LessonPackError(f"steps must be a list of at most {MAX_STEPS} texts")
    steps = tuple(_text({"step": s}, "step", required=True) for s in steps)
    experiment = _choice(doc, "experiment", EXPERIMENTS, "none")
    panel = _choice(doc, "panel", PANELS, "curves")
    dataset, config = _workspace(doc.get("workspace"), doc.get("changes"))
    hidden, locked = _controls(doc.get("controls"))
    speed = doc.get("speed")
    if speed is not None:
        if isinstance(speed, bool) or not isinstance(speed, (int, float)) or \
                not 0.1 <= speed <= 10_000:
            raise LessonPackError("speed must be a number of steps per second in 0.1 … 10000, "
                                  "or null")
        speed = float(speed)
    reveal = doc.get("reveal_answer_at_step", 0)
    if reveal is not None:
        reveal = limits.check_int(reveal, "reveal_answer_at_step", 0, limits.MAX_STEPS,
                                  exc=LessonPackError)
    return Lesson(lesson_id, texts["title"], _text(doc, "intro"), steps, texts["question"],
                  texts["answer"], experiment, panel, dataset, config, speed, hidden, locked,
                  reveal)


def _text(doc: dict, key: str, required: bool = False) -> str:
    value = doc.get(key, None if required else "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise LessonPackError(f"{key} must be {'a non-empty' if required else 'a'} text")
    if len(value) > MAX_TEXT:
        raise LessonPackError(f"{key} is longer than {MAX_TEXT} characters")
    return value


def _choice(doc: dict, key: str, allowed: tuple, default: str) -> str:
    value = doc.get(key, default)
    if value not in allowed:
        raise LessonPackError(f"{key} must be one of {', '.join(allowed)}, not "
                              f"{limits.shown(value)}")
    return value


def _workspace(ws, changes) -> tuple[dict | None, dict]:
    """The workspace's dataset (DatasetSpec fields) and config (TrainConfig fields), both
    tried out here so that applying the lesson cannot fail halfway."""
    from ..training.trainer import TrainConfig
    if ws is None:
        ws = {}
    if not isinstance(ws, dict) or set(ws) - {"dataset", "config"}:
        raise LessonPackError("workspace must be an object with \"dataset\" and/or \"config\"")
    dataset = ws.get("dataset")
    if dataset is not None:
        if not isinstance(dataset, dict) or set(dataset) - {"name", "n", "noise", "classes",
                                                            "seed"}:
            raise LessonPackError("workspace's dataset must be an object with name, n, noise, "
                                  "classes, seed")
        spec = DatasetSpec(**dataset)
        limits.check_int(spec.n, "dataset n", 10, 20_000, exc=LessonPackError,
                         limit="the limit on a lesson's points")
        spec.make()
        dataset = dict(dataset)
    config = ws.get("config", {})
    if not isinstance(config, dict):
        raise LessonPackError("workspace's config must be an object")
    known = set(TrainConfig.__dataclass_fields__)
    unknown = sorted(set(config) - known)
    if unknown:
        raise LessonPackError(f"unknown setting {limits.shown(unknown[0])} in the workspace")
    config = dict(config)
    if changes is not None:
        config["changes"] = changes
    cfg = TrainConfig(**{**LESSON_DEFAULTS, **config})
    for key in ("hidden", "changes"):
        if key in config:
            config[key] = getattr(cfg, key)      # JSON lists → the config's tuples
    return dataset, config


def _controls(controls) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if controls is None:
        return (), ()
    if not isinstance(controls, dict) or set(controls) - {"hidden", "locked"}:
        raise LessonPackError("controls must be an object with \"hidden\" and/or \"locked\" lists")
    out = []
    for key in ("hidden", "locked"):
        names = controls.get(key, [])
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise LessonPackError(f"controls' {key} must be a list of names")
        bad = [n for n in names if n not in CONTROLS]
        if bad:
            raise LessonPackError(f"unknown control {limits.shown(bad[0])}; known: "
                                  f"{', '.join(CONTROLS)}")
        out.append(tuple(dict.fromkeys(names)))
    return out[0], out[1]


def builtin_lessons() -> tuple[Lesson, ...]:
    """The built-in lessons: the packs in bn_studio.resources/lessons, in file-name order."""
    folder = resources.files("bn_studio.resources").joinpath("lessons")
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".json")),
                   key=lambda f: f.name)
    out = []
    for f in files:
        try:
            out.append(parse_pack(f.read_bytes()))
        except LessonPackError as e:         # a broken install: say which file
            raise LessonPackError(f"built-in lesson {f.name}: {e}") from None
    return tuple(out)


def example_pack_path():
    """The example pack a teacher can copy (shipped in bn_studio.resources)."""
    return resources.files("bn_studio.resources").joinpath("example_lesson.json")
