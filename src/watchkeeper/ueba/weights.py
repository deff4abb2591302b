"""How much each feature counts in the anomaly scores.

Insider scenarios show up in rare, pointed behaviour (a first USB drive, a leak site, mail
with attachments to a personal address, another region's data exported without a ticket)
far more than in everyday volume (web visits, file opens, records read), which varies a
lot from day to day. Relevant features weigh 1; the rest weigh `UebaConfig.default_weight`.
"""

from __future__ import annotations

from watchkeeper.ueba.exfil import WEIGHTS as EXFIL_WEIGHTS

RELEVANT: dict[str, float] = {
    # logons and sessions away from one's own desk and hours
    "logon_after_hours": 1.0, "logon_weekend": 1.0, "logon_other_users_pc": 1.0,
    "logon_manager_pc": 1.0, "logon_failures": 0.5, "session_after_hours_minutes": 0.5,
    # removable media
    "usb_connects": 1.0, "usb_connects_after_hours": 1.0, "usb_connects_weekend": 1.0,
    "usb_hosts": 1.0, "file_to_removable": 1.0, "file_to_removable_after_hours": 1.0,
    # mail leaving the company
    "email_personal_recipients": 1.0, "email_personal_attachments": 1.0,
    "email_attachments_external": 1.0, "email_bcc": 0.5, "email_recipients": 0.5,
    # web
    "web_job": 1.0, "web_cloud": 1.0, "web_leak": 1.0, "web_hacking": 1.0,
    "web_cloud_uploads": 1.0, "web_uploads": 0.5, "web_webmail": 0.5,
    # data stores
    "ds_other_region_no_ticket_records": 1.0, "ds_restricted_no_ticket_records": 1.0,
    "ds_sensitive_no_ticket_queries": 1.0, "ds_sensitive_no_ticket_reads": 1.0,
    "ds_no_purpose_queries": 1.0, "ds_sensitive_no_purpose_reads": 1.0,
    "ds_exports": 0.5, "ds_records_exported": 0.5, "ds_other_region_records": 0.5,
    "ds_other_region_exported": 0.5, "ds_no_ticket_records": 0.5, "ds_queries": 0.5,
    "ds_records_restricted": 0.5, "ds_records_high": 0.5,
    # first-time flags
    "first_usb": 1.0, "first_after_hours_logon": 1.0, "first_new_machine": 0.5,
    "first_other_region_dataset": 1.0,
    # generative-AI uploads and pastes, cumulative exfiltration (`exfil`)
    **EXFIL_WEIGHTS,
    # change against the person's own past (`change`)
    "change_after_hours_shift": 1.0, "change_logon_hours_shift": 1.0,
    "change_email_hours_shift": 1.0, "change_weekend_shift": 1.0,
    "change_other_pc_shift": 1.0, "change_new_machine_shift": 0.5,
    "change_new_contact_shift": 1.0, "change_ext_attach_shift": 1.0,
    "change_personal_mail_shift": 1.0, "change_email_after_hours_shift": 1.0,
    "change_logon_new_hour_days": 1.0, "change_logon_hour_js": 0.5,
    "change_email_hour_js": 0.5, "email_new_contacts": 0.5,
}


def feature_weights(columns: tuple[str, ...], overrides: dict[str, float],
                    default: float) -> list[float]:
    """The weight of each column: `overrides`, else `RELEVANT`, else `default`."""
    return [overrides.get(c, RELEVANT.get(c, default)) for c in columns]
