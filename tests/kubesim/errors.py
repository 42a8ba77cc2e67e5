"""API errors and the metav1.Status objects that report them."""

from __future__ import annotations

from typing import Any

REASON_BY_CODE = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
}


class ApiError(Exception):
    """An error the API returns to the client as a Status object."""

    def __init__(
        self,
        code: int,
        message: str,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or REASON_BY_CODE.get(code, "Unknown")
        self.details = details
        self.headers = headers or {}

    def status(self) -> dict[str, Any]:
        """Build the metav1.Status body for this error."""
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            body["details"] = self.details
        return body


def qualified_resource(plural: str, group: str) -> str:
    """Spell a resource as the API server does in messages: plural.group."""
    return f"{plural}.{group}" if group else plural


def not_found(plural: str, group: str, name: str) -> ApiError:
    resource = qualified_resource(plural, group)
    return ApiError(
        404,
        f'{resource} "{name}" not found',
        details={"name": name, "group": group, "kind": plural} if group else {"name": name, "kind": plural},
    )


def already_exists(plural: str, group: str, name: str) -> ApiError:
    resource = qualified_resource(plural, group)
    details = {"name": name, "kind": plural}
    if group:
        details["group"] = group
    return ApiError(409, f'{resource} "{name}" already exists', reason="AlreadyExists", details=details)


def conflict(plural: str, group: str, name: str) -> ApiError:
    resource = qualified_resource(plural, group)
    details = {"name": name, "kind": plural}
    if group:
        details["group"] = group
    return ApiError(
        409,
        f'Operation cannot be fulfilled on {resource} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again",
        reason="Conflict",
        details=details,
    )


class FieldError:
    """One invalid field, as apimachinery's field.Error reports it."""

    def __init__(self, field: str, reason: str, detail: str) -> None:
        self.field = field
        self.reason = reason
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.field}: {self.detail}" if self.field else self.detail


def required(field: str) -> FieldError:
    return FieldError(field, "FieldValueRequired", "Required value")


def invalid(field: str, value: Any, detail: str) -> FieldError:
    return FieldError(field, "FieldValueInvalid", f"Invalid value: {_go_value(value)}: {detail}")


def unsupported(field: str, value: Any, supported: list[Any]) -> FieldError:
    choices = ", ".join(_go_value(choice) for choice in supported)
    return FieldError(field, "FieldValueNotSupported", f"Unsupported value: {_go_value(value)}: supported values: {choices}")


def forbidden(field: str, detail: str) -> FieldError:
    return FieldError(field, "FieldValueForbidden", f"Forbidden: {detail}")


def too_long(field: str, limit: int) -> FieldError:
    return FieldError(field, "FieldValueTooLong", f"Too long: may not be more than {limit} bytes")


def too_many(field: str, count: int, limit: int) -> FieldError:
    return FieldError(field, "FieldValueTooMany", f"Too many: {count}: must have at most {limit} items")


def duplicate(field: str, value: Any) -> FieldError:
    return FieldError(field, "FieldValueDuplicate", f"Duplicate value: {_go_value(value)}")


def _go_value(value: Any) -> str:
    """Format a value as Go's %#v does for the types JSON can carry."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return '"' + type(value).__name__.replace("dict", "object").replace("list", "array") + '"'
    return str(value)


def invalid_object(kind: str, group: str, name: str, errors: list[FieldError]) -> ApiError:
    """Build the 422 Invalid error for a list of field errors."""
    qualified_kind = f"{kind}.{group}" if group else kind
    if len(errors) == 1:
        summary = str(errors[0])
    else:
        summary = "[" + ", ".join(str(error) for error in errors) + "]"
    causes = [{"reason": error.reason, "message": error.detail, "field": error.field} for error in errors]
    details: dict[str, Any] = {"name": name, "kind": kind, "causes": causes}
    if group:
        details["group"] = group
    return ApiError(422, f'{qualified_kind} "{name}" is invalid: {summary}', reason="Invalid", details=details)
