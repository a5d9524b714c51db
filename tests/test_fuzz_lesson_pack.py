"""Fuzzing the lesson-pack reader: whatever the bytes or the JSON, it gives a usable lesson or
one clear line (LessonPackError), never another exception."""

import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bn_studio.core.lessons.pack import (CONTROLS, EXPERIMENTS, FORMAT, Lesson, LessonPackError,
                                         example_pack_path, parse_pack, read_pack)

EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "50"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
VALID = json.loads(example_pack_path().read_text(encoding="utf-8"))

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats() |
    st.text(max_size=20) | st.sampled_from(list(CONTROLS) + list(EXPERIMENTS)),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=5),
    max_leaves=20)


def _parse_or_refuse(data) -> None:
    try:
        les = parse_pack(data)
    except LessonPackError as e:
        assert str(e) and "\n" not in str(e)
        return
    assert isinstance(les, Lesson)
    les.train_config()                   # a lesson that loads can be set up


@FUZZ
@given(st.binary(max_size=300))
def test_any_bytes_give_a_lesson_or_one_line(data):
    _parse_or_refuse(data)


@FUZZ
@given(st.sampled_from(sorted(VALID) + ["workspace.config", "workspace.dataset",
                                        "controls.hidden", "changes.0"]), JSON_VALUES)
def test_a_valid_pack_with_one_value_replaced_loads_or_is_refused_in_one_line(key, value):
    doc = json.loads(json.dumps(VALID))
    node, *rest = key.split(".")
    if not rest:
        doc[node] = value
    elif node == "changes":
        doc.setdefault("changes", [[1, "lr", 0.1]])[0] = value
    else:
        doc.setdefault(node, {})[rest[0]] = value
    _parse_or_refuse(json.dumps(doc, allow_nan=True))


@FUZZ
@given(JSON_VALUES)
def test_any_json_document_gives_a_lesson_or_one_line(doc):
    _parse_or_refuse(json.dumps({"format": FORMAT, "version": 1, **doc}
                                if isinstance(doc, dict) else doc, allow_nan=True))


def test_the_example_pack_and_every_builtin_lesson_load(tmp_path):
    les = read_pack(example_pack_path())
    assert les.question and les.answer and les.locked_controls
    from bn_studio.core.lessons.numbers import LESSONS
    ids = [x.id for x in LESSONS]
    assert ids[6:11] == ["lr_jump", "alpha_range", "gamma_beta", "input_scale",
                         "covariate_shift"]
    assert len(LESSONS) >= 11
    reveal = {x.id: x.reveal_at_step for x in LESSONS}
    assert reveal["lr_jump"] == 600 and reveal["why_bn"] == 300 and reveal["softmax"] is None


def test_hostile_files_get_one_line(tmp_path):
    cases = {"big.json": b" " * (300 * 1024), "deep.json": b"[" * 5000,
             "latin1.json": b"\xff\xfe{", "newer.json": json.dumps(
                 {**VALID, "version": 99}).encode(), "foreign.json": b'{"format": "x"}',
             "nan.json": json.dumps({**VALID, "speed": float("nan")}).encode()}
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        try:
            read_pack(path)
        except LessonPackError as e:
            assert str(e).startswith(name) and "\n" not in str(e), str(e)
        else:
            raise AssertionError(f"{name} was accepted")
    for missing in (tmp_path / "none.json", tmp_path):
        try:
            read_pack(missing)
        except LessonPackError as e:
            assert "\n" not in str(e)
