"""Errors every layer may raise: core, gui and cli all import this module, it imports none."""


class UsageError(Exception):
    """A problem with the user's input (an option, a file name, a size): shown as one line,
    exit status 2 on the command line. ``bn_studio.cli.CliError`` is this class."""
