"""The one exception root of the appliance and its few subclasses.

Every layer may import this module: it has no dependencies of its own.
Third-party errors are converted at the boundary with ``raise ... from``.
"""

from __future__ import annotations


class ApplianceError(Exception):
    """Root of every error the appliance raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def to_dict(self) -> dict[str, object]:
        """The API error body: code, message and the field at fault."""
        return {"code": self.code, "message": self.message, "field": self.field}


class ValidationError(ApplianceError):
    """Input that breaks a rule; ``field`` names the part at fault."""

    code = "validation_error"


class NotFoundError(ApplianceError):
    """A referenced id does not exist."""

    code = "not_found"


class ConflictError(ApplianceError):
    """The change collides with what exists (duplicate id, unique key)."""

    code = "conflict"


class ConfigFileError(ValidationError):
    """A config.yaml that cannot be imported; the message names file, line and key."""

    code = "config_error"


class StoreError(ApplianceError):
    """The database cannot be opened, migrated or written."""

    code = "store_error"


class DecodeError(ApplianceError):
    """Device data that cannot be decoded (bad checksum, short frame, unknown type)."""

    code = "decode_error"


class TransportError(ApplianceError):
    """A device did not answer, answered late, or the link broke."""

    code = "transport_error"


class UnsupportedError(ApplianceError):
    """The device or driver cannot do what was asked (e.g. no setpoint capability)."""

    code = "unsupported"


class QuotaError(ApplianceError):
    """A limit on how often something may happen is used up (a device's daily write budget): 429."""

    code = "quota_exceeded"


class DeviceMismatchError(ApplianceError):
    """A device took a write but holds something else when read back: 502."""

    code = "write_mismatch"
