"""The minimal web app: server-rendered pages over the same core as the API."""

from phonelist.web.pages import error_page, serves_page, static_files
from phonelist.web.routes import router

__all__ = ["error_page", "router", "serves_page", "static_files"]
