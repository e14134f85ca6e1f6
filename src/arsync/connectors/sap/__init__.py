"""SAP over RFC: pyrfc-compatible connections, BAPI and RFC_READ_TABLE reads, typed frames."""

from arsync.common.frames import CLEARED_ITEMS, CUSTOMERS, OPEN_ITEMS
from arsync.connectors.sap.connection import connection_opener, import_pyrfc, sap_password
from arsync.connectors.sap.pull import SapPull, pull

__all__ = [
    "CLEARED_ITEMS",
    "CUSTOMERS",
    "OPEN_ITEMS",
    "SapPull",
    "connection_opener",
    "import_pyrfc",
    "pull",
    "sap_password",
]
