"""The schemathesis tests of `test_schemathesis` on PostgreSQL: the same tests and
fixtures, the module's store overridden (a module of its own so that pytest-xdist's
`loadscope` runs it beside the SQLite one, not after it)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from api.conftest import store_url
from api.test_schemathesis import (  # noqa: F401  (collected here too)
    api,
    sim_workspace,
    test_every_operation,
    test_linked_sequences,
)

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module", params=["postgres"])
def module_database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    with pytest.MonkeyPatch.context() as mp, ExitStack() as stack:
        mp.delenv("WATCHKEEPER_DATABASE_URL", raising=False)
        yield store_url(request.param, stack)
