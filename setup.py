"""The optional compiled part of cablebot: bot.picks._reading, read() of bot.picks.signals in C.

Everything else is in pyproject.toml. The extension is optional: without a C compiler (or Python's
headers) `pip install` still succeeds, with a warning, and cablebot reads with the pure-Python read().
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "bot.picks._reading",
            sources=["bot/picks/_reading.c"],
            optional=True,
        )
    ]
)
