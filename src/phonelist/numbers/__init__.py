"""Phone number intelligence (pure functions): analyse, repair and normalise numbers.

:func:`analyze` tells everything known about a raw value without calling anyone;
:func:`normalize` is the rule contacts use (valid or possible, else a ValidationError).
"""

from phonelist.numbers.analyze import (
    REASONS,
    VALIDITIES,
    Analysis,
    analyze,
    analyze_many,
    number_formats,
)
from phonelist.numbers.backends import Backend, auto_backend, fast_backend, reference_backend
from phonelist.numbers.normalize import NormalizedNumber, area_code, normalize

__all__ = [
    "REASONS",
    "VALIDITIES",
    "Analysis",
    "Backend",
    "NormalizedNumber",
    "analyze",
    "analyze_many",
    "area_code",
    "auto_backend",
    "fast_backend",
    "normalize",
    "number_formats",
    "reference_backend",
]
