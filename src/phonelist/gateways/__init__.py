"""Gateways: how messages leave phonelist. One interface; real providers come with campaigns."""

from phonelist.gateways.base import Gateway, GatewayError, Outbound, SendResult
from phonelist.gateways.recording import RecordingGateway

__all__ = ["Gateway", "GatewayError", "Outbound", "RecordingGateway", "SendResult"]
