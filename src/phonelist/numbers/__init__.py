"""Phone number parsing and normalisation (pure functions)."""

from phonelist.numbers.normalize import NormalizedNumber, normalize

__all__ = ["NormalizedNumber", "normalize"]
