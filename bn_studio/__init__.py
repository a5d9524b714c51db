"""BN Studio: watch batch norm, softmax regression and hyperparameter search while a network trains."""

__version__ = "0.1.0"
