"""Reading a submitted form (``application/x-www-form-urlencoded``) without a multipart
parser: the dashboard's forms post nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs

from fastapi import Request

from watchkeeper.errors import WatchkeeperError

MAX_FORM = 64 * 1024   # bytes: a note is the longest field


class FormError(WatchkeeperError):
    """A form field that is missing or cannot be read; names the field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


@dataclass(frozen=True)
class Form:
    fields: dict[str, list[str]]

    def get(self, name: str, default: str = "") -> str:
        values = self.fields.get(name)
        return values[0] if values else default

    def getlist(self, name: str) -> list[str]:
        return list(self.fields.get(name, ()))

    def required(self, name: str) -> str:
        value = self.get(name).strip()
        if not value:
            raise FormError(name, "required")
        return value

    def ints(self, name: str) -> list[int]:
        out = []
        for value in self.getlist(name):
            if not value.isdigit() or len(value) > 12:
                raise FormError(name, f"{value[:20]!r} is not an id")
            out.append(int(value))
        return out


async def read_form(request: Request) -> Form:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("application/x-www-form-urlencoded", ""):
        raise FormError("body", "send the form as application/x-www-form-urlencoded")
    body = await request.body()
    if len(body) > MAX_FORM:
        raise FormError("body", f"longer than {MAX_FORM} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise FormError("body", "not UTF-8") from None
    return Form(parse_qs(text, keep_blank_values=True, max_num_fields=500))
