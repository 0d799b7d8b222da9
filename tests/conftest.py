"""Settings for the whole suite."""

from __future__ import annotations

from hypothesis import settings

# Property tests check invariants, not speed: speed is measured in benchmarks/, never in a test.
# Hypothesis' default 200 ms deadline per example failed on a loaded 2-core machine (273 ms).
settings.register_profile("tanmap", deadline=None)
settings.load_profile("tanmap")
