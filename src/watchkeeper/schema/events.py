"""Normalized event classes: shared core columns plus class columns, as Arrow schemas.

Every event in the lake belongs to exactly one class. All classes share the core columns;
each adds its own. Times are UTC. `docs/schema.md` documents each column and the OCSF
class it maps to; `tests/schema/test_schema_doc.py` keeps that page and this module in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import pyarrow as pa

TIME = pa.timestamp("us", tz="UTC")
STR = pa.string()
LIST_STR = pa.list_(pa.string())


class EventClass(StrEnum):
    """The normalized event classes; the value is the lake partition name."""

    AUTHENTICATION = "authentication"
    PERIPHERAL = "peripheral"
    FILE = "file"
    EMAIL = "email"
    WEB = "web"
    DATASTORE = "datastore"
    PROCESS = "process"
    FINDING = "finding"


@dataclass(frozen=True)
class Column:
    """One column: its name, Arrow type, whether it may be null, and what it means."""

    name: str
    type: pa.DataType
    doc: str
    nullable: bool = True
    added: bool = False   # joined the schema after files were written without it

    def field(self) -> pa.Field:
        meta = {ADDED: b"1"} if self.added else None
        return pa.field(self.name, self.type, nullable=self.nullable, metadata=meta)


ADDED = b"watchkeeper.added"
"""Field metadata of a column added to a table after files were written without it:
readers show it null for those files and `lake check` does not count it missing."""


CORE_COLUMNS: tuple[Column, ...] = (
    Column("event_id", STR, "Source-unique event id; dedupe key (CERT id, OCSF uid, "
           "or a content hash when the source has none).", nullable=False),
    Column("time", TIME, "When the event happened, UTC.", nullable=False),
    Column("source", STR, "Input format that produced the row (cert, ocsf, evtx, "
           "mapping name).", nullable=False),
    Column("class", STR, "Event class (partition).", nullable=False),
    Column("activity", STR, "Normalized verb, lower case: logon, logoff, connect, "
           "write, send, visit, read, export, …", nullable=False),
    Column("user", STR, "Acting person's user id."),
    Column("host", STR, "Machine the action was taken on."),
    Column("region", STR, "Region where the event was recorded (US, EU, APAC…), "
           "when the source says."),
)


@dataclass(frozen=True)
class ClassSpec:
    """A normalized event class: OCSF mapping and its own columns."""

    name: EventClass
    ocsf_class_uid: int
    ocsf_class_name: str
    columns: tuple[Column, ...]
    doc: str

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([c.field() for c in (*CORE_COLUMNS, *self.columns)])

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in (*CORE_COLUMNS, *self.columns))


_CONTENT = Column("content", STR, "Free text or keyword bag carried by the source.")

CLASSES: dict[EventClass, ClassSpec] = {
    spec.name: spec
    for spec in (
        ClassSpec(EventClass.AUTHENTICATION, 3002, "Authentication", (
            Column("status", STR, "success or failure."),
            Column("logon_type", STR, "interactive, remote, network, unlock, explicit…"),
            Column("src_host", STR, "Host or address the logon came from."),
            Column("target_user", STR, "Account logged on as, when it differs from user."),
        ), "Logons and logoffs."),
        ClassSpec(EventClass.PERIPHERAL, 0, "Base Event (OCSF has no peripheral "
                  "activity class; the device goes in a peripheral_device object)", (
            Column("device_kind", STR, "usb, removable_storage, …"),
            Column("device_name", STR, "Device label or serial when known."),
            Column("file_tree", LIST_STR, "Paths seen on the device at connect."),
        ), "Removable media connect and disconnect."),
        ClassSpec(EventClass.FILE, 1001, "File System Activity", (
            Column("path", STR, "Full file path."),
            Column("file_ext", STR, "Lower-case extension without the dot."),
            Column("to_removable", pa.bool_(), "Written to removable media."),
            Column("from_removable", pa.bool_(), "Read from removable media."),
            Column("size", pa.int64(), "Bytes, when known."),
            _CONTENT,
        ), "File open, write, copy, delete, create."),
        ClassSpec(EventClass.EMAIL, 4009, "Email Activity", (
            Column("sender", STR, "From address."),
            Column("recipients", LIST_STR, "To, cc and bcc addresses together."),
            Column("to", LIST_STR, "To addresses."),
            Column("cc", LIST_STR, "Cc addresses."),
            Column("bcc", LIST_STR, "Bcc addresses."),
            Column("recipient_count", pa.int32(), "Number of distinct recipients."),
            Column("external_recipient_count", pa.int32(),
                   "Recipients outside the company domains (setting)."),
            Column("attachments", LIST_STR, "Attachment names."),
            Column("attachment_count", pa.int32(), "Number of attachments."),
            Column("size", pa.int64(), "Message size in bytes."),
            _CONTENT,
        ), "Email sent or viewed."),
        ClassSpec(EventClass.WEB, 4002, "HTTP Activity", (
            Column("url", STR, "Full URL."),
            Column("domain", STR, "Lower-case host name of the URL."),
            Column("http_method", STR, "GET, POST, … when known."),
            _CONTENT,
        ), "Web visit, download, upload."),
        ClassSpec(EventClass.DATASTORE, 6005, "Datastore Activity", (
            Column("dataset", STR, "Data store or table holding user data."),
            Column("data_region", STR, "Region whose residency rules govern the data."),
            Column("record_count", pa.int64(), "Records read, exported or changed."),
            Column("sensitivity", STR, "low, medium, high, restricted."),
            Column("ticket", STR, "Ticket or case justifying the access, if any."),
            Column("purpose", STR, "Declared purpose of the access, if any."),
            Column("src_ip", STR, "Client address."),
        ), "Reads, queries and exports of user-data stores."),
        ClassSpec(EventClass.PROCESS, 1007, "Process Activity", (
            Column("process_name", STR, "Image path."),
            Column("command_line", STR, "Full command line."),
            Column("parent_process", STR, "Parent image path."),
            Column("pid", pa.int64(), "Process id."),
        ), "Process launches."),
        ClassSpec(EventClass.FINDING, 2004, "Detection Finding", (
            Column("rule_id", STR, "Rule or vendor signature id."),
            Column("title", STR, "Finding title."),
            Column("severity", STR, "informational, low, medium, high, critical."),
            Column("tags", LIST_STR, "ATT&CK and insider-threat tags."),
            Column("vendor", STR, "Product that raised it (watchkeeper, a SIEM, DLP…)."),
            Column("event_refs", LIST_STR, "event_id of each event behind the finding."),
            Column("window_start", TIME, "First event of a correlation window, else null."),
            Column("raw", STR, "Original vendor payload as JSON text."),
        ), "Alerts from SIEM, DLP, UEBA, EDR tools and our own rules."),
    )
}


def class_spec(name: str | EventClass) -> ClassSpec:
    """The spec of a class by name; unknown names raise KeyError with the known ones."""
    try:
        return CLASSES[EventClass(name)]
    except ValueError:
        known = ", ".join(c.value for c in EventClass)
        raise KeyError(f"unknown event class {name!r} (known: {known})") from None


def empty_table(name: str | EventClass) -> pa.Table:
    return class_spec(name).schema.empty_table()
