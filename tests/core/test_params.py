"""The hyperparameter registry (core/params.py) describes TrainConfig exactly and checks it."""

import dataclasses

import numpy as np
import pytest

from bn_studio.core.training import params
from bn_studio.core.nn.optim import OPTIMIZER_BETAS, OPTIMIZERS
from bn_studio.core.training.params import LIVE
from bn_studio.core.training.trainer import TrainConfig


def test_one_entry_per_trainconfig_field():
    assert len(params.PARAMS) == len(dataclasses.fields(TrainConfig))
    assert {f.name for f in dataclasses.fields(TrainConfig)} == set(params.BY_NAME)
    assert params.BY_NAME["lr"].default == TrainConfig().lr == 0.01
    assert params.BY_NAME["hidden"].default == (64, 64)


def test_trainconfig_defaults_are_the_registrys():
    for f in dataclasses.fields(TrainConfig):
        assert f.default == params.DEFAULTS[f.name], f.name
    assert params.symbol("lr") == "α" and params.symbol("seed") == "seed"


def test_choices_are_the_one_list_of_the_maths():
    assert params.BY_NAME["optimizer"].choices == OPTIMIZERS
    assert set(params.BY_NAME["activation"].choices) == {"relu", "tanh", "sigmoid"}


def test_each_beta_names_the_optimizers_that_read_it():
    for name in ("beta1", "beta2", "momentum"):
        users = params.BY_NAME[name].optimizers
        assert users and all(name in OPTIMIZER_BETAS[o] for o in users)
    assert params.BY_NAME["lr"].optimizers == OPTIMIZERS
    assert params.BY_NAME["beta2"].label_for("rmsprop") == "RMSprop β₂"


def test_live_settings_come_from_the_registry():
    assert set(LIVE) == {"lr", "momentum", "beta1", "beta2", "l2", "decay", "bn_decay"}


@pytest.mark.parametrize("changes, message", [
    ({"lr": -1.0, "batch": 1, "beta1": 1.0},
     "learning rate must be a positive number; batch size must be at least 2 (batch norm "
     "needs 2 examples); beta1 must be in [0, 1)"),
    ({"optimizer": "lion"}, f"optimizer must be one of {', '.join(OPTIMIZERS)}"),
    ({"dtype": "float16", "decay": -1.0}, "dtype must be float32 or float64; l2 and decay must "
                                          "be ≥ 0"),
    ({"lr": float("inf")}, "learning rate must be a positive number"),
    ({"momentum": float("nan")}, "momentum must be in [0, 1)"),
    ({"lr": "fast"}, "lr must be a number, not 'fast'"),
    ({"activation": 3}, "activation must be a name, not 3"),
    ({"seed": -1}, "seed must be at least 0"),
])
def test_trainconfig_problems_are_named_in_one_line(changes, message):
    with pytest.raises(ValueError) as e:
        TrainConfig(**changes)
    assert str(e.value).startswith(message) and "\n" not in str(e.value)


def test_validate_check_and_apply():
    assert params.validate("hidden", [4, 5]) == (4, 5)
    assert params.check("beta1", 0.99) == 0.99
    with pytest.raises(ValueError, match=r"beta1 must be in \[0, 1\)"):
        params.check("beta1", 1.2)
    with pytest.raises(ValueError, match="learning rate must be a positive number"):
        params.check("lr", 0.0)
    with pytest.raises(ValueError, match="unknown hyperparameter 'speed'"):
        params.validate("speed", 1)
    c = params.apply(TrainConfig(), lr=0.5, optimizer="sgd")
    assert (c.lr, c.optimizer) == (0.5, "sgd")
    with pytest.raises(ValueError, match="beta2 must be in"):
        params.apply(TrainConfig(), beta2=1.5)


def test_apply_search_sets_widths_layers_and_bn():
    base = TrainConfig(hidden=(8, 4))
    config, bn = params.apply_search(base, {"layers": 3, "lr": 0.1, "batch": 31.6, "bn": 0})
    assert config.hidden == (8, 4, 4) and config.lr == 0.1 and config.batch == 32 and not bn
    config, bn = params.apply_search(base, {"hidden": 16.2})
    assert config.hidden == (16, 16) and bn
    with pytest.raises(ValueError, match="unknown parameter 'seed'"):
        params.apply_search(base, {"seed": 3})


def test_every_searchable_hyperparameter_gives_a_valid_first_search():
    """Search reads its names and first ranges from the registry: each first range is a valid
    Param, and a trial at either end of it is a valid TrainConfig."""
    from bn_studio.core.search import suggested_param, apply_params
    base = TrainConfig(hidden=(8, 4))
    for name in params.SEARCHABLE:
        p = suggested_param(name)
        for value in p.extremes():
            config, _ = apply_params(base, {name: value})
            assert isinstance(config, TrainConfig), name


def _log(v):
    return np.log10(v)


def _one_minus_log(b):
    return -np.log10(1.0 - b)


@pytest.mark.parametrize("name, axis", [("lr", _log), ("l2", _log), ("decay", _log),
                                        ("beta1", _one_minus_log), ("beta2", _one_minus_log),
                                        ("momentum", _one_minus_log),
                                        ("bn_decay", _one_minus_log)])
def test_first_searches_of_rates_and_betas_are_even_on_a_log_axis(name, axis):
    """The course's rule: a rate is searched log-uniformly, a β as 1 − β on a log scale, so
    half of a first search's draws lie below the middle of that axis (not ~1 % or ~18 %)."""
    from bn_studio.core.search import suggested_param
    p = suggested_param(name)
    u = axis(np.array(p.sample(np.random.default_rng(0), 4000)))
    lo, hi = axis(np.array([p.low, p.high], dtype=float))
    assert abs(np.mean(u < (lo + hi) / 2) - 0.5) < 0.03
