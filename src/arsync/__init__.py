"""arsync: SAP open items reconciled with the customers' payment portals, every morning."""

__version__ = "0.1.0"
