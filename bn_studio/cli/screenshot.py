"""``bn-studio screenshot``: its options; the rendering is bn_studio.gui.app.run_screenshot."""

from __future__ import annotations

from .options import DefaultsFormatter

# The panels ``screenshot --panel`` knows (their names in bn_studio.gui.main_window); kept
# here so that --help does not have to import Qt. A test checks the two lists agree.
PANEL_NAMES = ("decision_regions", "datasets", "network", "curves", "histograms", "unit_maps",
               "diagnostics", "test_time_bn", "softmax_inspector", "tuning", "lessons")


def add_screenshot_parser(sub) -> None:
    from bn_studio.core.data.datasets import DATASETS
    from bn_studio.core.lessons.numbers import LESSONS
    p = sub.add_parser("screenshot", help="render the main window offscreen to a PNG",
                       formatter_class=DefaultsFormatter,
                       description="Render the main window (or one panel) offscreen after "
                                   "some training steps and write a PNG or JPEG. Panels: "
                                   f"{', '.join(PANEL_NAMES)}. Datasets: {', '.join(DATASETS)}.")
    p.add_argument("out", metavar="OUT.png", help="image file to write (.png or .jpg)")
    p.add_argument("--dataset", default=None, metavar="NAME",
                   help=f"one of {', '.join(DATASETS)}")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--steps", type=int, default=None,
                      help="training steps before the picture (default 300)")
    when.add_argument("--play", type=float, default=None, metavar="SECONDS",
                      help="the live path instead: Reset, Play at the app's default speed "
                           "through the display timer, capture after SECONDS")
    when.add_argument("--play-steps", type=int, default=None, metavar="N",
                      help="the live path, as --play, but the training process pauses by "
                           "itself at exactly step N: the same picture every time")
    p.add_argument("--lesson", type=int, default=None, metavar="N",
                   help=f"open lesson N (1-{len(LESSONS)}) first, as the Lessons menu "
                        "does")
    p.add_argument("--panel", default=None, metavar="NAME",
                   help=f"render only this panel: {', '.join(PANEL_NAMES)}")
    p.add_argument("--size", default="1600x1000",
                   help="window size WIDTHxHEIGHT, each side 200 … 4096")
    p.add_argument("--theme", choices=("light", "dark"), default="light", help="colour theme")
    p.add_argument("--workspace", metavar="FILE.json", help="open this saved workspace first")
    p.add_argument("--data", metavar="FILE.csv", help="import this CSV file first (as Import CSV…)")
    p.add_argument("--columns", metavar="X1,X2,LABEL",
                   help="the columns of --data to use, as for train (default: the guess the "
                        "import dialog starts from)")




def run_screenshot(args) -> int:
    from bn_studio.gui.app import run_screenshot as render
    return render(args)
