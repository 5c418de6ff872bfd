"""Transport failures of an HTTP provider, mapped once for every gateway that posts to one."""

from __future__ import annotations

from typing import Any

import httpx

from phonelist.gateways.base import GatewayError

__all__ = ["post"]


def post(client: httpx.Client, url: str, who: str, **kwargs: Any) -> httpx.Response:
    """POST to the provider; a transport failure is a retryable :class:`GatewayError`.

    A request that never left (no connection, no pooled slot) is safe to retry; one that left
    without an answer is ``ambiguous``: the provider may have accepted it.
    """
    try:
        return client.post(url, **kwargs)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise GatewayError(
            f"cannot reach {who}: {type(exc).__name__}", retryable=True, category="unavailable"
        ) from exc
    except httpx.HTTPError as exc:
        raise GatewayError(
            f"{who} did not answer: {type(exc).__name__}",
            retryable=True,
            ambiguous=True,
            category="unavailable",
        ) from exc
