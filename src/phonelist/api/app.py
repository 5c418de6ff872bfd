"""``create_app(core)``: the one ASGI app serving the API, the web pages and the probes.

Nothing is built at import time; the server (and each test) builds an app around a core.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response

from phonelist import __version__, web
from phonelist.api import (
    admin,
    audit,
    campaigns,
    consent,
    contacts,
    exports,
    health,
    imports,
    messages,
    policy,
    privacy,
    privacy_requests,
    segments,
    webhooks,
)
from phonelist.api.errors import json_error, problem_of
from phonelist.api.middleware import AccessLog, BodyLimit, LastResort, SecurityHeaders
from phonelist.api.routing import API_PREFIX
from phonelist.core import Phonelist
from phonelist.errors import PhonelistError
from phonelist.web import campaigns as web_campaigns
from phonelist.web import contacts as web_contacts
from phonelist.web import dashboard as web_dashboard
from phonelist.web import forms_admin as web_forms_admin
from phonelist.web import imports as web_imports
from phonelist.web import join as web_join
from phonelist.web import review as web_review
from phonelist.web import segments as web_segments
from phonelist.web import settings as web_settings

__all__ = ["API_PREFIX", "create_app"]

DOCS_PATH = f"{API_PREFIX}/docs"
SESSION_MAX_AGE = 12 * 60 * 60


def create_app(core: Phonelist) -> FastAPI:
    settings = core.settings
    app = FastAPI(
        title="phonelist",
        version=__version__,
        summary="A phone-number contact list with encrypted personal data.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=DOCS_PATH,
        redoc_url=None,
    )
    app.state.core = core

    app.include_router(contacts.router)
    app.include_router(admin.router)
    app.include_router(imports.router)
    app.include_router(exports.router)
    app.include_router(segments.router)
    app.include_router(consent.router)
    app.include_router(policy.router)
    app.include_router(audit.router)
    app.include_router(privacy.router)
    app.include_router(privacy_requests.router)
    app.include_router(campaigns.router)
    app.include_router(messages.router)
    app.include_router(webhooks.router)
    app.include_router(health.router)
    app.include_router(web_contacts.router)
    app.include_router(web.router)
    app.include_router(web_campaigns.router)
    app.include_router(web_dashboard.router)
    app.include_router(web_imports.router)
    app.include_router(web_segments.router)
    app.include_router(web_review.router)
    app.include_router(web_settings.router)
    app.include_router(web_forms_admin.router)  # issue 8: settings → consent texts and forms
    app.include_router(web_join.router)  # issue 8: the public opt-in form, /join/*
    app.mount("/static", web.static_files(), name="static")

    for error in (PhonelistError, RequestValidationError, HTTPException):
        app.add_exception_handler(error, _handle)

    # Added innermost first: a request meets SecurityHeaders, AccessLog, LastResort,
    # BodyLimit and the session, in that order.
    app.add_middleware(
        SessionMiddleware,
        secret_key=core.session_secret.decode("ascii"),
        session_cookie="phonelist_session",
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_request_bytes,
        render=render_error,
        uploads=((f"{API_PREFIX}/imports", "/imports/upload"), settings.max_upload_bytes),
    )
    app.add_middleware(LastResort, render=render_error)
    app.add_middleware(AccessLog)
    app.add_middleware(SecurityHeaders, hsts=settings.secure_cookies, docs_path=DOCS_PATH)
    return app


def render_error(request: Request, exc: Exception) -> Response:
    """Each face renders its own errors: a page for the web pages, JSON for everything else."""
    problem = problem_of(exc)
    if web.serves_page(request.url.path):
        return web.error_page(request, problem.status, problem.message, problem.headers)
    return json_error(problem)


async def _handle(request: Request, exc: Exception) -> Response:
    return render_error(request, exc)
