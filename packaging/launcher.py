"""Entry point of the frozen app (PyInstaller needs a script, not a gui-script entry point).

freeze_support() comes first: the training worker and the search executors are spawned
processes, and in a frozen app a spawned child starts by running this same executable.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from bn_studio.cli import main

    sys.exit(main())
