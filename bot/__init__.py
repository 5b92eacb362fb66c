"""cablebot: cite Cablegate cables on social networks, one notable paragraph at a time."""

__version__ = "0.1.0"
