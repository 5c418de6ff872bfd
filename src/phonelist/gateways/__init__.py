"""Gateways: how messages leave phonelist, and how providers' webhooks come back in.

One interface (:class:`Gateway`), with a recording gateway for tests, console and file gateways
for local development, Twilio, and a generic HTTP/JSON gateway. See docs/gateways.md.
"""

from phonelist.gateways.base import (
    FINAL_STATUSES,
    STATUSES,
    DeliveryReport,
    Gateway,
    GatewayError,
    InboundSms,
    InvalidSignature,
    Outbound,
    SendResult,
    WebhookGateway,
    WebhookRejected,
    close_gateway,
)
from phonelist.gateways.console import ConsoleGateway, FileGateway
from phonelist.gateways.factory import GatewaySettings, build_gateway
from phonelist.gateways.http_json import HttpJsonGateway
from phonelist.gateways.recording import RecordingGateway
from phonelist.gateways.twilio import TwilioGateway

__all__ = [
    "FINAL_STATUSES",
    "STATUSES",
    "ConsoleGateway",
    "DeliveryReport",
    "FileGateway",
    "Gateway",
    "GatewayError",
    "GatewaySettings",
    "HttpJsonGateway",
    "InboundSms",
    "InvalidSignature",
    "Outbound",
    "RecordingGateway",
    "SendResult",
    "TwilioGateway",
    "WebhookGateway",
    "WebhookRejected",
    "build_gateway",
    "close_gateway",
]
