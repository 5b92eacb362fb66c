"""What pyproject.toml cannot say: the optional compiled reader, and the default templates in the package.

- bot.picks._reading is read() of bot.picks.signals in C, and bot.picks._scoring its signals, weighed as
  bot.picks.score weighs them. Both extensions are optional: without a C compiler (or Python's headers)
  `pip install` still succeeds, with a warning, and cablebot reads and scores in pure Python.
- The project's templates/ (the editors' folder) is copied into the built package as bot/_templates, so
  that an installed cablebot run outside the project folder still has a template for every network.
"""

import shutil
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py


class BuildWithTemplates(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads templates/ from the checkout itself
            return
        target = Path(self.build_lib) / "bot" / "_templates"
        target.mkdir(parents=True, exist_ok=True)
        for source in Path("templates").glob("*.j2"):
            shutil.copyfile(source, target / source.name)


setup(
    cmdclass={"build_py": BuildWithTemplates},
    ext_modules=[
        Extension(
            "bot.picks._reading",
            sources=["bot/picks/_reading.c"],
            optional=True,
        ),
        Extension(
            "bot.picks._scoring",
            sources=["bot/picks/_scoring.c"],
            optional=True,
        ),
    ],
)
