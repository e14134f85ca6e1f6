"""pyrfc's exception classes, reproduced for the sandbox SAP (pyrfc 3.4 names, attributes, str()).

The connector recognises failures by class name and attributes only, so the same code handles
these and the real ``pyrfc`` ones.  ``str()`` repeats the number, as pyrfc 3.4 does.
"""

from __future__ import annotations


class RFCError(Exception):
    """Connector-side errors and bad arguments (no SDK error info)."""


class RFCLibError(RFCError):
    """An error carrying the SDK's error info."""

    def __init__(
        self,
        message=None,
        code=None,
        key=None,
        msg_class=None,
        msg_type=None,
        msg_number=None,
        msg_v1=None,
        msg_v2=None,
        msg_v3=None,
        msg_v4=None,
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        self.key = key
        self.msg_class = msg_class
        self.msg_type = msg_type
        self.msg_number = msg_number
        self.msg_v1 = msg_v1
        self.msg_v2 = msg_v2
        self.msg_v3 = msg_v3
        self.msg_v4 = msg_v4

    def __str__(self) -> str:
        return (
            f"{self.code} (rc={self.code}): key={self.key}, message={self.message}"
            f" [MSG: class={self.msg_class}, type={self.msg_type}, number={self.msg_number},"
            f" v1-4:={self.msg_v1};{self.msg_v2};{self.msg_v3};{self.msg_v4}]"
        )


class ABAPApplicationError(RFCLibError):
    """Group ABAP_APPLICATION_FAILURE: a classic exception RAISEd by the function module."""


class ABAPRuntimeError(RFCLibError):
    """Group ABAP_RUNTIME_FAILURE: MESSAGE type E/A/X or a short dump."""


class LogonError(RFCLibError):
    """Group LOGON_FAILURE: wrong user or password, locked user."""

    def __init__(self, message=None, code=2, key="RFC_LOGON_FAILURE", *args):
        super().__init__(message, code, key, *args)


class CommunicationError(RFCLibError):
    """Group COMMUNICATION_FAILURE: partner not reached, connection broken."""


class ExternalRuntimeError(RFCLibError):
    """Group EXTERNAL_RUNTIME_FAILURE: e.g. an unknown parameter (code 20)."""


class ExternalApplicationError(RFCLibError):
    """Group EXTERNAL_APPLICATION_FAILURE."""


class ExternalAuthorizationError(RFCLibError):
    """Group EXTERNAL_AUTHORIZATION_FAILURE."""


class RFCTypeError(RFCLibError):
    """Defined by pyrfc but never raised."""
