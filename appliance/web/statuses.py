"""The HTTP status of each kind of service error, for the API's JSON errors and the pages alike."""

from __future__ import annotations

from appliance.errors import (
    ApplianceError, ConflictError, DeviceMismatchError, NotFoundError, QuotaError, StoreError, ValidationError,
)

STATUS = {ValidationError: 400, NotFoundError: 404, ConflictError: 409, QuotaError: 429, DeviceMismatchError: 502,
          StoreError: 503}


def error_status(exc: ApplianceError) -> int:
    """The HTTP status of a service error."""
    return next((status for kind, status in STATUS.items() if isinstance(exc, kind)), 500)
