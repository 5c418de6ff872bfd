"""Campaigns (compose, preview, approve, launch, pause, cancel, stats), one-to-one follow-ups,
call logs and conversations. See docs/campaigns.md."""

from phonelist.campaigns.conversations import (
    CALL_OUTCOMES,
    ConversationService,
    MessageOut,
    PolicyBlocked,
    Sent,
)
from phonelist.campaigns.schemas import EXCLUSIONS, CampaignOut, Draft, Launch, Rendered
from phonelist.campaigns.service import CampaignService, Preview, campaign_key
from phonelist.campaigns.stats import Stats, campaign_stats

__all__ = [
    "CALL_OUTCOMES",
    "EXCLUSIONS",
    "CampaignOut",
    "CampaignService",
    "ConversationService",
    "Draft",
    "Launch",
    "MessageOut",
    "PolicyBlocked",
    "Preview",
    "Rendered",
    "Sent",
    "Stats",
    "campaign_key",
    "campaign_stats",
]
