"""Hand-placed events: the scenarios' malicious steps and the benign look-alikes."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from watchkeeper.sim import vocab
from watchkeeper.sim.layout import rows_batch
from watchkeeper.sim.org import NEVER
from watchkeeper.sim.world import World

Row = dict[str, object]


@dataclass
class Injection:
    """Placed events by (local day, source), written with the background of that day."""

    rows: dict[tuple[int, str], list[Row]] = field(default_factory=dict)

    def add(self, day: int, source: str, row: Row) -> None:
        self.rows.setdefault((day, source), []).append(row)

    def batch(self, day: int, source: str) -> pa.Table | None:
        rows = self.rows.pop((day, source), None)
        return rows_batch(source, rows) if rows else None


@dataclass
class Builder:
    """Places one actor's events; `tag` is the incident number or -1 for benign ones."""

    world: World
    injection: Injection
    rng: np.random.Generator
    tag: int = -1

    def _add(self, source: str, person: int, day: int, minute: float, host: int | None,
             user: int | None = None, **fields: object) -> int:
        ts = self.world.utc(person, day, minute)
        host = self.world.host_of(person) if host is None else host
        who = person if user is None else user
        base: Row = {"ts": ts, "tag": self.tag, "user": self.world.org.people[who].user_id}
        base["host" if source == "datastore" else "pc"] = self.world.org.hosts[host].name
        self.injection.add(day, source, base | fields)
        return ts

    def logon(self, person: int, day: int, minute: float, host: int | None = None,
              activity: str = "Logon", user: int | None = None) -> None:
        self._add("logon", person, day, minute, host, user, activity=activity)

    def device(self, person: int, day: int, minute: float, connect: bool,
               host: int | None = None) -> None:
        tree = vocab.FILE_TREES[int(self.rng.integers(len(vocab.FILE_TREES)))] if connect else ""
        self._add("device", person, day, minute, host, file_tree=tree,
                  activity="Connect" if connect else "Disconnect")

    def file(self, person: int, day: int, minute: float, filename: str, activity: str,
             to_removable: bool = False, from_removable: bool = False,
             host: int | None = None, content: str | None = None) -> None:
        self._add("file", person, day, minute, host, filename=filename, activity=activity,
                  to_removable_media=str(to_removable), from_removable_media=str(from_removable),
                  content=self.doc_content() if content is None else content)

    def http(self, person: int, day: int, minute: float, category: str, activity: str,
             host: int | None = None, content: str | None = None) -> None:
        cat = vocab.CATEGORY[category]
        urls, bags = self.world.urls, self.world.web_content
        url = urls.text[int(urls.offset[cat] + self.rng.integers(urls.size[cat]))].as_py()
        bag = bags.text[int(bags.offset[cat] + self.rng.integers(bags.size[cat]))].as_py()
        bag = bag if content is None else content
        self._add("http", person, day, minute, host, url=url, activity=activity, content=bag)

    def email(self, person: int, day: int, minute: float, to: list[str], attachments: list[str],
              host: int | None = None, user: int | None = None, content: str | None = None,
              bcc: str = "") -> None:
        sender = self.world.org.people[person if user is None else user].email
        size = int(self.rng.lognormal(9.8, 0.7)) + sum(
            int(a[a.rindex("(") + 1:-1]) for a in attachments)
        text = content if content is not None else self.world.mail_content[
            int(self.rng.integers(len(self.world.mail_content)))].as_py()
        self._add("email", person, day, minute, host, user, to=";".join(to), cc="", bcc=bcc,
                  **{"from": sender}, activity="Send", size=size,
                  attachments=";".join(attachments), content=text)

    def datastore(self, person: int, day: int, minute: float, dataset: str, operation: str,
                  records: int, ticket: str | None, purpose: str | None) -> None:
        meta = next(d for d in self.world.datasets if d.name == dataset)
        host = self.world.host_of(person)
        self._add("datastore", person, day, minute, host, dataset=dataset,
                  data_region=meta.region, operation=operation, records=records,
                  sensitivity=meta.sensitivity, ticket=ticket, purpose=purpose,
                  client_ip=self.world.org.hosts[host].ip)

    def doc(self) -> tuple[str, str, int]:
        """A random document: name, content bag, size in bytes."""
        i = int(self.rng.integers(len(self.world.doc_names)))
        return (self.world.doc_names[i].as_py(), self.world.doc_content[i].as_py(),
                int(self.world.doc_sizes[i]))

    def doc_content(self) -> str:
        pick = int(self.rng.integers(len(self.world.doc_content)))
        return str(self.world.doc_content[pick].as_py())

    def work_minute(self, person: int, lo: float = 0.1, hi: float = 0.9) -> float:
        """A minute inside the person's usual working hours."""
        h = self.world.habits
        return float(h.start_min[person] + h.length_min[person] * self.rng.uniform(lo, hi))

    def workdays(self, person: int, first: int, last: int) -> list[int]:
        """Days in [first, last] the person is planned at work and still employed."""
        p = self.world.org.people[person]
        last = min(last, self.world.calendar.days - 1, p.end_day if p.end_day != NEVER else last)
        return [d for d in range(max(first, 0, p.hire_day), last + 1)
                if self.world.presence[d, person] and self.world.calendar.workday[
                    d, self.world.region[person]]]

