"""The one error a line-check provider adds to the tree (see :mod:`phonelist.errors`).

Wrong credentials become a :class:`~phonelist.errors.ConfigError`, an unknown number a
:class:`~phonelist.errors.NotFound`, a refused request a :class:`~phonelist.errors.ValidationError`;
everything else that stops the provider from answering (network, timeout, rate limit, outage,
an unreadable answer) is a :class:`LookupUnavailable`.
"""

from __future__ import annotations

from phonelist.errors import PhonelistError

__all__ = ["LookupUnavailable"]


class LookupUnavailable(PhonelistError):
    """The provider could not answer now; trying again later may work."""

    code = "lookup_unavailable"
    status = 503
    exit_code = 9
