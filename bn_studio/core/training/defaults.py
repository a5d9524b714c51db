"""The default run, defined once: what the app opens with and what `bn-studio train` runs with
no options. Chosen by experiment (benchmarks/default_demo.py); change it only with a
new run of that script, and keep the app's hint in step with what it shows.
"""

from __future__ import annotations

from ..data.datasets import DatasetSpec
from .trainer import TrainConfig

# Spirals with three arms: not linearly separable, so depth is needed and accuracy shows it.
DEFAULT_DATASET = DatasetSpec("spirals", n=600, noise=0.2, classes=3, seed=0)

# A deep sigmoid net with plain momentum: the setting where the course and the BN paper say
# batch norm matters. Identical initial weights, batches and α for both twins; only BN differs.
# What it shows over 40 seeds is in the README, measured by benchmarks/lesson_claims.py
# (claims D.*: BN ahead by ≥ 0.15 at steps 300, 1000 and 2000 in 39 of 40 seeds).
DEFAULT_CONFIG = TrainConfig(hidden=(32, 32, 32, 32, 32), activation="sigmoid",
                             optimizer="momentum", lr=0.5, momentum=0.9, batch=32, steps=1000,
                             seed=0, eval_every=10)

# Training steps per second in the app: slow enough to follow the first few hundred steps
# (the part where the twins differ most), fast enough that a run gets somewhere in a minute.
DEFAULT_SPEED = 60.0
