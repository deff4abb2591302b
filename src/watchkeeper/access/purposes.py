"""Why someone asks for user data: purpose codes modelled on access-justification codes
(the reason a provider's staff give, and the customer sees, for touching customer data).

The workspace's list is ``[access] purposes`` (code = description) in watchkeeper.toml;
these are shipped. A request and a decision name one code; a grant allows only the
purpose it was approved for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from watchkeeper.errors import GrantError

DEFAULT_PURPOSES: dict[str, str] = {
    "customer-support": "the data subject asked for help (a support case)",
    "investigation": "a security or insider-risk investigation (a case)",
    "incident-response": "an incident in progress",
    "fraud-review": "a fraud or abuse review",
    "legal": "a legal hold, subpoena or regulator's request",
    "data-subject-request": "the data subject's access, export or erasure request",
    "maintenance": "planned repair or migration of the data store",
}

CODE = re.compile(r"[a-z][a-z0-9-]{0,49}")


def check_purpose(code: str, purposes: Mapping[str, str]) -> str:
    """`code` if it is one of `purposes`; a `GrantError` naming the known ones otherwise."""
    if code not in purposes:
        raise GrantError("purpose", f"{code!r}: not a purpose code (known: "
                         f"{', '.join(sorted(purposes))})")
    return code


def check_codes(purposes: Mapping[str, str]) -> dict[str, str]:
    """The configured list, each code lower-case words joined by '-'."""
    for code in purposes:
        if not CODE.fullmatch(code):
            raise ValueError(f"purpose {code!r}: lower-case letters, digits and '-', "
                             "at most 50")
    if not purposes:
        raise ValueError("at least one purpose")
    return dict(purposes)
