"""``python -m bn_studio``: the same as the ``bn-studio`` command."""

from bn_studio.cli import main

# Guarded: the training and search workers are spawned processes, which import __main__.
if __name__ == "__main__":
    raise SystemExit(main())
