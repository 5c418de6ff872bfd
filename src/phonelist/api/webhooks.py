"""/webhooks/{gateway}/inbound and /status: what providers tell us, signature first.

These routes take no token: a provider cannot hold one. Instead every request must carry the
provider's signature over the exact URL it called and the raw body (Twilio's
``X-Twilio-Signature``, the HTTP/JSON gateway's ``X-Phonelist-Signature``); an unsigned or
wrongly signed request is refused (403) before anything is parsed or stored. The URL checked is
``public_url`` + the request's path and query when ``public_url`` is set (behind a proxy the
address the provider called is not the one this process sees), else the request's own URL.

Inbound messages go to the consent classifier and then the ledger (O1-O6), once per provider
message id; status callbacks update the outbox (delivered, undelivered, failed) and turn a
provider's opt-out code into a suppression (O7).
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from phonelist.api.deps import CoreDep
from phonelist.core import Phonelist
from phonelist.errors import NotFound
from phonelist.gateways import WebhookGateway

__all__ = ["router"]

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
_EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _gateway(core: Phonelist, name: str) -> WebhookGateway:
    gateway = core.gateway
    if gateway.name != name or not isinstance(gateway, WebhookGateway):
        raise NotFound(f"no webhooks for gateway {name!r} here", field="gateway")
    return gateway


async def _verified(core: Phonelist, gateway: WebhookGateway, request: Request) -> bytes:
    body = await request.body()
    url = str(request.url)
    public = core.settings.public_url
    if public:
        query = f"?{request.url.query}" if request.url.query else ""
        url = public.rstrip("/") + request.url.path + query
    gateway.verify_webhook(url, request.headers, body, time.time())
    return body


def _ack(gateway: WebhookGateway) -> Response:
    if gateway.name == "twilio":  # an empty TwiML answer: Twilio sends no reply of its own
        return Response(_EMPTY_TWIML, media_type="text/xml")
    return Response(status_code=204)


@router.post("/{gateway}/inbound", responses={403: {"description": "bad signature"}})
async def inbound(gateway: str, request: Request, core: CoreDep) -> Response:
    """A message someone sent to one of our numbers (signed by the provider)."""
    provider = _gateway(core, gateway)
    body = await _verified(core, provider, request)
    sms = provider.parse_inbound(body)
    await run_in_threadpool(
        core.inbound.handle_once,
        core.system_actor(f"webhook:{provider.name}"),
        sms.sender,
        sms.body,
        provider_ref=sms.provider_ref,
        to=sms.to,
    )
    return _ack(provider)


@router.post("/{gateway}/status", responses={403: {"description": "bad signature"}})
async def status(gateway: str, request: Request, core: CoreDep) -> Response:
    """A provider's delivery report for a message we sent (signed by the provider)."""
    provider = _gateway(core, gateway)
    body = await _verified(core, provider, request)
    report = provider.parse_delivery_report(body)
    await run_in_threadpool(
        core.dispatch.apply_receipt, core.system_actor(f"webhook:{provider.name}"), report
    )
    return _ack(provider)
