"""The Lessons dock: the lesson pane and the controls and views of each lesson."""
