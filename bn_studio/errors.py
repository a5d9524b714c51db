"""Errors every layer may raise: core, gui and cli all import this module, it imports none."""


class UsageError(Exception):
    """A problem with the user's input (an option, a file name, a size): shown as one line,
    exit status 2 on the command line. ``bn_studio.cli.CliError`` is this class."""


# What checking a parsed document may raise for any malformed value (a string for a number, a
# huge list, 1e400, deep nesting): the checks turn each into one line of their own error type.
MALFORMED = (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError,
             RecursionError, MemoryError)


def checked(check, doc, error: type[Exception], prefix: str):
    """``check(doc)``, with any malformed-value error raised as ``error("prefix: why")``,
    one line of at most 300 characters (``error`` itself passes through)."""
    try:
        return check(doc)
    except error:
        raise
    except MALFORMED as e:
        why = str(e).splitlines()[0] if str(e) else e.__class__.__name__
        raise error(f"{prefix}: {why}"[:300]) from None
