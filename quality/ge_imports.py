"""Great Expectations without the imports no suite here uses.

`import great_expectations` loads every expectation class, and one of them (the KL-divergence
expectation, in no suite of ours) imports `scipy.stats` and `altair` at module level: about a
second of the ~7 s a quality task's first GE import takes (BENCHMARKS.md, "Start-up"). Until
something reads one of their attributes, those two modules are stand-ins in `sys.modules`; the
first attribute read imports the real module and answers from it, so code that does use them
(that expectation, or anything else in the process) works as before, a moment later.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
import threading
import types

UNUSED_BY_OUR_SUITES = ("scipy.stats", "altair")

_lock = threading.Lock()


class _Deferred(types.ModuleType):
    """A module that imports itself for real on its first missing-attribute read."""

    def __getattr__(self, attr: str):
        with _lock:
            if sys.modules.get(self.__name__) is self:
                del sys.modules[self.__name__]
            real = importlib.import_module(self.__name__)
        return getattr(real, attr)


def defer_unused(names: tuple[str, ...] = UNUSED_BY_OUR_SUITES) -> list[str]:
    """Put a stand-in for each of `names` not imported yet and installed; returns those deferred."""
    deferred = []
    for name in names:
        if name in sys.modules:
            continue
        # the top-level package only: finding a submodule's spec imports its parent (scipy: 0.4 s)
        if importlib.util.find_spec(name.partition(".")[0]) is None:
            continue  # not installed: let the real import fail where it would have
        stand_in = _Deferred(name)
        # importlib reads the spec (`_initializing`) when the name is imported again
        stand_in.__spec__ = importlib.machinery.ModuleSpec(name, None)
        sys.modules[name] = stand_in
        deferred.append(name)
    return deferred
