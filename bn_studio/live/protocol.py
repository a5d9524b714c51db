"""The training worker's protocol: typed commands down the pipe, typed messages back.

Every command is a small frozen dataclass; the child dispatches on its type (``_Child``'s
handler table), so a new command is a class here and one handler there. No Qt: the child
process imports this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bn_studio.core.measure.grid import DecisionGrid
from bn_studio.core.measure.snapshot import Snapshot

if TYPE_CHECKING:
    from bn_studio.core.data.datasets import Split
    from bn_studio.core.training.trainer import TrainConfig


class Command:
    """Base of every command the GUI sends to the training process."""


@dataclass(frozen=True)
class Reset(Command):
    config: TrainConfig
    split: Split


@dataclass(frozen=True)
class Play(Command):
    pass


@dataclass(frozen=True)
class Pause(Command):
    pass


@dataclass(frozen=True)
class Step(Command):
    n: int = 1


@dataclass(frozen=True)
class Speed(Command):
    steps_per_second: float | None  # None: as fast as the machine goes


@dataclass(frozen=True)
class Shift(Command):
    offset: tuple[float, ...]       # covariate shift added to every input from now on
    validation_only: bool = False   # a shift at test time: the training inputs stay


@dataclass(frozen=True)
class Change(Command):
    name: str                       # one of params.LIVE
    value: float


@dataclass(frozen=True)
class MaxSteps(Command):
    max_steps: int | None           # pause by itself at this step (None: never)


@dataclass(frozen=True)
class ShowUnitMaps(Command):
    on: bool                        # compute Snapshot.unit_maps (only while a panel shows them)


@dataclass(frozen=True)
class ShowDiagnostics(Command):
    on: bool                        # add Snapshot.diagnostics (only while a panel shows them)


@dataclass(frozen=True)
class Notify(Command):
    """Publish now and acknowledge: every earlier command has been handled."""


@dataclass(frozen=True)
class Quit(Command):
    pass


# Messages from the training process
@dataclass
class Published:
    seq: int                        # the last command handled before this snapshot
    epoch: int                      # the run (a new one with every reset)
    snapshot: Snapshot              # histories hold only the rows not sent before
    grid: DecisionGrid | None       # new decision regions, or None (keep the last ones)
    playing: bool
    error: str | None


@dataclass(frozen=True)
class Ack:
    seq: int


@dataclass(frozen=True)
class Failed:
    seq: int
    message: str                    # one line: why training could not start
