"""The one-line hint in the toolbar: what to do or watch now, never a sentence the screen
contradicts. A pure function of the studio's state, so every case can be tested."""

from __future__ import annotations

from dataclasses import dataclass

from bn_studio.core.training.defaults import DEFAULT_CONFIG, DEFAULT_DATASET

# What the default run shows; every sentence below is measured over 40 seeds by
# benchmarks/lesson_claims.py (claims H.*; the README's numbers are its claims D.*).
DEFAULT_WATCH = ("Watch the first 1000 steps: with BN (blue) the 5-layer sigmoid net learns the "
                 "spirals within a few hundred; without BN (red) it stays at chance, loss ≈ "
                 "ln 3 ≈ 1.1, its gradients too small to move the early layers.")
DEFAULT_LATER = ("Past ~1000 steps the net without BN starts to learn too, slowly: same net, "
                 "same α, batch norm made it train sooner. Reset (R) to watch again.")
WATCH_UNTIL_STEP = 1200
DEFAULT_START = ("Press Play (Space). Both nets start from the same weights and see the same "
                 "mini-batches; only batch norm differs.")


@dataclass(frozen=True)
class HintState:
    playing: bool
    step: int
    default_run: bool                       # the app's default dataset and network
    diverged: tuple[tuple[str, int], ...] = ()     # (label, step) of each diverged net
    lesson: str | None = None               # title of the open lesson


def is_default_run(spec, config) -> bool:
    return spec == DEFAULT_DATASET and config.replace(steps=DEFAULT_CONFIG.steps) == DEFAULT_CONFIG


def hint_text(s: HintState) -> str:
    if s.diverged:
        nets = " and ".join(f"the net {label} diverged at step {step}"
                            for label, step in s.diverged)
        return (nets[0].upper() + nets[1:] + ": its loss exploded. Lower the learning rate α "
                "(Network panel) and press Reset (R).")
    if s.lesson:
        action = "Pause (Space) to look closer" if s.playing else "Play (Space) trains both nets"
        return f"Lesson {s.lesson}: follow the steps in the Lessons panel. {action}."
    if s.default_run:
        if s.step == 0 and not s.playing:
            return DEFAULT_START
        if s.step <= WATCH_UNTIL_STEP:
            return DEFAULT_WATCH if s.playing else f"Paused at step {s.step}. " + DEFAULT_WATCH
        return DEFAULT_LATER
    if s.step == 0 and not s.playing:
        return ("Press Play (Space) to train both nets, or Step (S) for one mini-batch. Only "
                "batch norm differs between them.")
    if s.playing:
        return ("Training: blue = with BN, red = without. Pause (Space) to look closer; "
                "the speed box sets steps per second.")
    return (f"Paused at step {s.step}. Play (Space) goes on, Step (S) does one mini-batch, "
            "Reset (R) starts again from the same initial weights.")


def widest_hints() -> list[str]:
    """The longest hints the app shows (a lesson's title aside): the toolbar keeps room for
    them, so that a change of hint never moves the panels below."""
    states = [HintState(False, 0, True), HintState(False, WATCH_UNTIL_STEP, True),
              HintState(True, WATCH_UNTIL_STEP + 1, True), HintState(False, 0, False),
              HintState(True, 1, False), HintState(False, 99999, False),
              HintState(False, 99999, False, (("with BN", 99999), ("without BN", 99999)))]
    return [hint_text(s) for s in states]
