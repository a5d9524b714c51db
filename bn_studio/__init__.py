"""BN Studio: watch batch norm, softmax regression and hyperparameter search while a network
trains."""

from importlib import metadata

try:                            # one version, pyproject.toml's, as the installed package says
    __version__ = metadata.version("bn-studio")
except metadata.PackageNotFoundError:       # a source tree that was never installed
    __version__ = "0+unknown"
