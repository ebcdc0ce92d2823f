"""The catalogue: agencies, the data-element register and resources, as validated YAML."""

from govshare.catalog.model import Agency, Catalog, Element, Item, Resource
from govshare.catalog.validate import load_catalog, validate

__all__ = ["Agency", "Catalog", "Element", "Item", "Resource", "load_catalog", "validate"]
