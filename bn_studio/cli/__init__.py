"""``bn-studio``: the app with no subcommand; ``train``, ``search`` and ``screenshot`` headless.

Every headless subcommand prints one JSON object with ``--json``. Unusable input exits with
status 2 and a one-line message on stderr, never a traceback (DESIGN.md §7).

One module per subcommand (train.py, search.py, screenshot.py) and the options they share
(options.py). The gui never imports this package; the CLI calls the gui.
"""

from __future__ import annotations

import argparse
import sys

from bn_studio.errors import UsageError as CliError
from .options import (DefaultsFormatter, add_data_options, add_train_options,  # noqa: F401
                      changes_from_args, check_data_args, config_from_args, dataset_from_args,
                      parse_hidden, split_from_args)
from .screenshot import PANEL_NAMES, add_screenshot_parser
from .train import add_train_parser

__all__ = ["CliError", "PANEL_NAMES", "build_parser", "main"]

EXIT_USAGE = 2


class OneLineParser(argparse.ArgumentParser):
    """A usage error is one line (what is wrong, and where the options are listed), not the
    whole usage text; the subcommands' parsers are of this class too."""

    def error(self, message: str):
        from bn_studio.core.limits import one_line
        self.exit(EXIT_USAGE, f"{self.prog}: {one_line(message)} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="bn-studio",
        description="See batch norm, softmax regression and hyperparameter search while a "
                    "network trains. With no subcommand, opens the app.")
    from bn_studio import __version__
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command")
    add_train_parser(sub)
    try:
        from .search import add_search_parser
        add_search_parser(sub, add_train_options)
    except ImportError:
        pass
    add_screenshot_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args_given = sys.argv[1:] if argv is None else argv
    if not set(args_given[:1]) & {"train", "search", "screenshot", "-h", "--help", "--version"}:
        # The app: a Ctrl-C while it starts quits it once the window can close (app.py).
        from bn_studio.core.procs import note_stop_signals
        note_stop_signals()
    if args_given[:1] == ["train"] and "numpy" not in sys.modules:
        # Before anything imports NumPy (the parser does): small matrices on one thread.
        from bn_studio.core.procs import one_blas_thread_by_default
        one_blas_thread_by_default()
    import multiprocessing
    multiprocessing.freeze_support()    # a frozen (PyInstaller) app re-enters here in workers
    from bn_studio.core.data.datasets import DatasetError
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "train":
            from .train import run_train
            return run_train(args)
        if args.command == "search":
            from .search import run_search
            return run_search(args)
        if args.command == "screenshot":
            from .screenshot import run_screenshot
            return run_screenshot(args)
        from bn_studio.gui.app import run_app
        return run_app(argv or [])
    except (CliError, DatasetError) as e:
        from bn_studio.core.limits import one_line
        print(f"bn-studio: {one_line(e)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
