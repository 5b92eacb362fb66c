"""The command line: thin commands over library calls. Each module registers its own commands."""
