"""One module per dock, named for what the user sees."""
