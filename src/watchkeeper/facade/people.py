"""The workspace's jobs on people under watch: revealing who is behind a pseudonym."""

from __future__ import annotations

from typing import TYPE_CHECKING

from watchkeeper.facade.queue import QueueJobs

if TYPE_CHECKING:
    from watchkeeper.security.recusal import Viewer
    from watchkeeper.security.reveals import Revealed


class PeopleJobs(QueueJobs):
    """The workspace's jobs on people under watch."""

    def reveal(self, viewer: Viewer, pseudonym: str, reason: str) -> Revealed:
        """Who is behind `pseudonym` (id, and name, email and region as the lake's people
        history knows them now), for a `viewer` whose role may reveal, with a stated
        reason, within their regions and not recused (`watchkeeper.security.reveals`).
        The ``reveals`` row and the audit entry ``person.reveal`` are committed
        together before anything is returned."""
        from watchkeeper.cases.person import newest_record
        from watchkeeper.security.reveals import (
            Revealed,
            check_reach,
            check_reason,
            may_reveal,
            record_reveal,
        )
        may_reveal(viewer)
        why = check_reason(reason)
        names = self.cases.names
        user = names.reveal(pseudonym)
        code = names.pseudonym(user)
        person = newest_record(self.lake, user)
        region = person.region if person is not None else None
        check_reach(viewer, code, user, region,
                    self.cases.org.managers(self.cases.clock().date()))
        with self.state.session() as session:
            row, entry = record_reveal(session, self.change_audit(viewer.name), code, why)
        return Revealed(code, user, person.name if person is not None else None,
                        person.email if person is not None else None, region, why,
                        viewer.name, entry.at, row.id, entry.seq)
