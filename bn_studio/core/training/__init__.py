"""Training runs: the twins and populations, their config and parameters, mid-run changes,
batch streams and results."""
