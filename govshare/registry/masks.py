"""The mask policy: which mask an agreement's item is delivered with."""

from __future__ import annotations

from govshare.exchange import masking
from govshare.registry import models as m


def item_mask(agreement: m.Agreement, resource: m.Resource, item: m.ResourceItem) -> masking.Mask:
    """What the agreement declares, else the default of the item's personal-data category (a
    pseudonym for a personal key)."""
    return masking.effective(item.personal, agreement.masking.get(item.name), item.name in resource.primary_key)
