"""Persistence: the engine factory, transactions, the schema and its migrations."""

from phonelist.store import (
    campaign_models,  # noqa: F401 - registers its tables on Base
    consent_models,  # noqa: F401 - registers its tables on Base
    facts,  # noqa: F401 - registers its tables on Base
    form_models,  # noqa: F401 - registers its tables on Base
    policy_models,  # noqa: F401 - registers its tables on Base
    privacy_models,  # noqa: F401 - registers its tables on Base
    segment_models,  # noqa: F401 - registers its tables on Base
)
from phonelist.store.engine import Store, build_engine

__all__ = ["Store", "build_engine"]
