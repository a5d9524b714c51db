"""Entry point of the frozen app (PyInstaller needs a script, not a console-script entry)."""

import sys

from bn_studio.cli import main

if __name__ == "__main__":
    sys.exit(main())
