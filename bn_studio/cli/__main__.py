"""``python -m bn_studio.cli``: the same as the ``bn-studio`` command."""

import sys

from bn_studio.cli import main

# Guarded: the training and search workers are spawned processes, which import __main__.
if __name__ == "__main__":
    sys.exit(main())
