"""The texts phonelist sends on its own: confirmations and answers (O5, O6, C3). No marketing."""

from __future__ import annotations

from dataclasses import dataclass

from phonelist.config import Settings

__all__ = ["Replies"]


@dataclass(frozen=True, slots=True)
class Replies:
    program: str
    support: str
    frequency: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Replies:
        return cls(settings.program_name, settings.support_contact, settings.message_frequency)

    def opted_out(self) -> str:
        """O5: one confirmation, no marketing; it may say how to opt back in."""
        return (
            f"{self.program}: You are unsubscribed and will receive no more messages. "
            "Reply START to resubscribe."
        )

    def help(self) -> str:
        """O6: brand, support contact and how to stop, whether subscribed or not."""
        where = f" Help at {self.support}." if self.support else ""
        return f"{self.program}:{where} Reply STOP to unsubscribe. Msg & data rates may apply."

    def opted_in(self) -> str:
        """O6: CTIA-complete: program, frequency, rates, help and opt-out."""
        return (
            f"{self.program}: You are subscribed. {self.frequency}. Msg & data rates may apply. "
            "Reply HELP for help, STOP to unsubscribe."
        )

    def confirm_request(self, code: str | None = None) -> str:
        """C3: the double opt-in request: says what YES means, carries no marketing."""
        enter = f" (or enter code {code} on the form)" if code else ""
        return (
            f"{self.program}: Reply YES{enter} to confirm you want to receive our messages. "
            f"{self.frequency}. Msg & data rates may apply. Reply STOP to cancel, HELP for help."
        )

    def not_subscribed(self) -> str:
        return f"{self.program}: We could not find a subscription to restart. Reply HELP for help."
