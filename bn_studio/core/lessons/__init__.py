"""Guided lessons: the pack format and the numbers each lesson talks about."""
