"""The REST API (``/api/v1``), served together with the web pages by :func:`create_app`."""

from phonelist.api.app import create_app

__all__ = ["create_app"]
