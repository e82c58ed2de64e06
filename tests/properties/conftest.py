"""Hypothesis profiles of the property tests (STYLE.md: their own profile, as xarray does).

``default`` keeps the whole folder near half a minute on a laptop; ``ci`` draws more examples
and prints statistics-friendly output. Pick one with ``HYPOTHESIS_PROFILE=ci``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "default",
    max_examples=60,
    deadline=None,  # the first call builds the unit registry (about 2 s)
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci",
    parent=settings.get_profile("default"),
    max_examples=200,
    print_blob=True,
)
settings.register_profile("dev", parent=settings.get_profile("default"), max_examples=20)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
