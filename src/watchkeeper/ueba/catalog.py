"""The feature columns: names, families and how to find the events behind each."""

from __future__ import annotations

from dataclasses import dataclass

from watchkeeper.ueba.categories import Categories
from watchkeeper.ueba.change import CHANGE_CLASS, CHANGE_COLUMNS
from watchkeeper.ueba.exfil import EXFIL_CLASS, EXFIL_COLUMNS, GENAI_COLUMNS
from watchkeeper.ueba.families_comm import SENSITIVITIES
from watchkeeper.ueba.firsts import FIRST_FLAGS
from watchkeeper.ueba.timeclass import TIME_CLASSES

FAMILY_CLASS = {"logon": "authentication", "session": "authentication", "usb": "peripheral",
                "file": "file", "email": "email", "web": "web", "datastore": "datastore"}
FIRST_CLASS = {"first_usb": "peripheral", "first_after_hours_logon": "authentication",
               "first_new_machine": "authentication",
               "first_other_region_dataset": "datastore"}


def _tc(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}_{tc}" for tc in TIME_CLASSES)


@dataclass(frozen=True)
class Catalog:
    """Feature columns per family, in output order."""

    families: dict[str, tuple[str, ...]]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c for cols in self.families.values() for c in cols)

    def family_of(self, column: str) -> str:
        return next(f for f, cols in self.families.items() if column in cols)

    def event_class(self, column: str) -> str:
        family = self.family_of(column)
        if family == "exfil":
            return EXFIL_CLASS
        if family == "change":
            return CHANGE_CLASS[column]
        return FIRST_CLASS[column] if family == "first_time" else FAMILY_CLASS[family]


def catalog(categories: Categories) -> Catalog:
    web_cats = tuple(f"web_{n}" for n in categories.names)
    return Catalog({
        "logon": ("logon_count", *_tc("logon"), "logon_own_pc", "logon_shared_pc",
                  "logon_other_users_pc", "logon_manager_pc", "logon_hosts", "logon_failures"),
        "session": ("session_count", "session_minutes", "session_max_minutes",
                    "session_after_hours_minutes"),
        "usb": ("usb_connects", *_tc("usb_connects"), "usb_minutes", "usb_hosts"),
        "file": ("file_ops", *_tc("file_ops"), "file_open", "file_write", "file_copy",
                 "file_delete", "file_print", "file_to_removable", "file_from_removable",
                 "file_to_removable_after_hours"),
        "email": ("email_sent", *_tc("email_sent"), "email_recipients",
                  "email_external_recipients", "email_personal_recipients", "email_bcc",
                  "email_attachments", "email_attachments_external", "email_size_mb",
                  "email_personal_attachments", "email_personal_other_users_pc"),
        "web": ("web_visits", *_tc("web_visits"), "web_uploads", "web_downloads", *web_cats,
                "web_cloud_uploads", "web_domains", *GENAI_COLUMNS),
        "datastore": ("ds_queries", "ds_records", *_tc("ds_records"), "ds_records_read",
                      "ds_records_exported", "ds_exports", "ds_other_region_records",
                      "ds_other_region_exported", "ds_no_ticket_records",
                      *(f"ds_records_{s}" for s in SENSITIVITIES), "ds_datasets",
                      "ds_other_region_no_ticket_records", "ds_restricted_no_ticket_records",
                      "ds_sensitive_no_ticket_queries", "ds_sensitive_no_ticket_reads",
                      "ds_no_purpose_queries", "ds_sensitive_no_purpose_reads"),
        "first_time": FIRST_FLAGS,
        "exfil": EXFIL_COLUMNS,
        "change": CHANGE_COLUMNS,
    })
