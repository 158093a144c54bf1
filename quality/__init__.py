"""Metadata quality: Great Expectations suites, graph checks, scores and the governance report."""

from quality.ge_imports import defer_unused

defer_unused()  # before any module of this package imports Great Expectations
