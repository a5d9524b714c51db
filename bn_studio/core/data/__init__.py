"""Datasets: the toy sets, drawn points and CSV files, split and standardised."""
