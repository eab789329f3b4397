"""The Inventory API's routers (``/api/inventory/v1``), one per resource."""
