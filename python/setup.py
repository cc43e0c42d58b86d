"""Marks the wheel as one for this platform: it carries librecur.so, which tools/setup.sh builds
and copies to recur/librecur.so. Nothing is compiled here."""
import os

from setuptools import setup
from setuptools.dist import Distribution

LIBRARY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "recur", "librecur.so")
if not os.path.exists(LIBRARY):
    raise SystemExit("recur/librecur.so is missing: run tools/setup.sh in the repository first")


class BinaryDistribution(Distribution):
    def has_ext_modules(self):
        return True


setup(distclass=BinaryDistribution)
