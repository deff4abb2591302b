"""Feature families over communication and data access: email, web, data stores."""

from __future__ import annotations

import ibis
from ibis.expr.types import ArrayValue, BooleanValue, IntegerValue, StringValue, Table

from watchkeeper.ueba.context import Context
from watchkeeper.ueba.exfil import genai_aggregates
from watchkeeper.ueba.families import KEYS, by_time_class, on_others_pc, with_owners

SENSITIVITIES = ("low", "medium", "high", "restricted")


def _count_in(addresses: ArrayValue, domains: tuple[str, ...]) -> IntegerValue:
    """How many addresses of a list have their domain in `domains`."""
    if not domains:
        return ibis.literal(0)
    kept = addresses.filter(
        lambda a: a.lower().re_extract("@([^@]+)$", 1).isin(list(domains)))
    return kept.length().fill_null(0)


def email_family(ctx: Context, mail: Table, owners: Table | None = None) -> Table:
    """Mail sent per person-day. `owners` (host, wk_owner, wk_shared; see `host_owners`)
    tells which hosts are another person's PC; without it that feature is 0."""
    sent = mail.filter(mail.activity == "send")
    foreign: BooleanValue = ibis.literal(False)
    if owners is not None:
        sent = with_owners(sent, owners)
        foreign = on_others_pc(sent)
    external = sent.external_recipient_count.fill_null(0)
    attachments = sent.attachment_count.fill_null(0)
    ev = sent.mutate(
        wk_personal=_count_in(sent.recipients, ctx.personal_domains),
        wk_bcc=sent.bcc.length().fill_null(0),
        wk_ext_att=ibis.ifelse(external > 0, attachments, 0),
        wk_foreign=foreign,
    )
    ev = ev.mutate(wk_pers_att=ibis.ifelse(ev.wk_personal > 0, attachments, 0))
    return ev.group_by(*KEYS).aggregate(
        email_sent=ev.count(),
        **by_time_class(ev, "email_sent"),
        email_recipients=ev.recipient_count.fill_null(0).sum(),
        email_external_recipients=ev.external_recipient_count.fill_null(0).sum(),
        email_personal_recipients=ev.wk_personal.sum(),
        email_bcc=ev.wk_bcc.sum(),
        email_attachments=ev.attachment_count.fill_null(0).sum(),
        email_attachments_external=ev.wk_ext_att.sum(),
        email_size_mb=ev["size"].fill_null(0).sum().cast("float64") / 1e6,  # exact sum
        email_personal_attachments=ev.wk_pers_att.sum(),
        email_personal_other_users_pc=ev.count(where=ev.wk_foreign & (ev.wk_personal > 0)),
    )


def web_family(ctx: Context, web: Table) -> Table:
    cats = ctx.categories
    domains = ctx.lake.ibis().to_pyarrow(web.select("domain").distinct())["domain"]
    table = cats.domain_table([d for d in domains.to_pylist() if d])
    ev = web.left_join(table, web.domain.lower() == table.wk_domain)
    texts: list[StringValue] = [ev.url, ev.content]
    flags = {}
    for c in cats.items:
        hit = (ev.wk_category == c.name).fill_null(False)
        if c.keywords:
            hit = hit | cats.keyword_match(c.name, texts)
        flags[f"wk_is_{c.name}"] = hit
    ev = ev.mutate(**flags)
    upload = ev.activity == "upload"
    return ev.group_by(*KEYS).aggregate(
        web_visits=ev.count(),
        **by_time_class(ev, "web_visits"),
        web_uploads=ev.count(where=upload),
        web_downloads=ev.count(where=ev.activity == "download"),
        **{f"web_{c.name}": ev.count(where=ev[f"wk_is_{c.name}"]) for c in cats.items},
        web_cloud_uploads=ev.count(where=upload & ev.wk_is_cloud) if "cloud" in cats.names
        else ibis.literal(0),
        web_domains=ev.domain.nunique(),
        **genai_aggregates(ev, cats),
    )


def datastore_prepare(ctx: Context, ds: Table) -> Table:
    """Data-store events with region and sensitivity (from the catalog when missing),
    records, and ``wk_other``: the data's region differs from the person's region."""
    assets = ctx.lake.table("data_assets").select(
        "dataset", wk_a_region="region", wk_a_sens="sensitivity")
    ev = ds.left_join(assets, "dataset")
    ev = ev.drop(*[c for c in ev.columns if c.endswith("_right")])
    region = ev.data_region.fill_null(ev.wk_a_region)
    other = (region.notnull() & ev.wk_region.notnull() & (region != ev.wk_region)).fill_null(False)
    return ev.mutate(wk_records=ev.record_count.fill_null(0), wk_other=other,
                     wk_sens=ev.sensitivity.fill_null(ev.wk_a_sens).lower())


def datastore_family(ev: Table) -> Table:
    export = ev.activity == "export"
    reads = ev.activity.isin(["read", "query"])
    lookups = ev.activity == "read"
    no_ticket = ev.ticket.isnull() | (ev.ticket == "")
    no_purpose = ev.purpose.isnull() | (ev.purpose.strip() == "")
    sensitive = ev.wk_sens.isin(["high", "restricted"])
    return ev.group_by(*KEYS).aggregate(
        ds_queries=ev.count(),
        ds_records=ev.wk_records.sum(),
        **by_time_class(ev, "ds_records", value=ev.wk_records),
        ds_records_read=ev.wk_records.sum(where=reads),
        ds_records_exported=ev.wk_records.sum(where=export),
        ds_exports=ev.count(where=export),
        ds_other_region_records=ev.wk_records.sum(where=ev.wk_other),
        ds_other_region_exported=ev.wk_records.sum(where=ev.wk_other & export),
        ds_no_ticket_records=ev.wk_records.sum(where=no_ticket),
        ds_other_region_no_ticket_records=ev.wk_records.sum(where=ev.wk_other & no_ticket),
        ds_restricted_no_ticket_records=ev.wk_records.sum(
            where=(ev.wk_sens == "restricted") & no_ticket),
        ds_sensitive_no_ticket_queries=ev.count(where=sensitive & no_ticket),
        ds_sensitive_no_ticket_reads=ev.count(where=sensitive & no_ticket & lookups),
        ds_no_purpose_queries=ev.count(where=no_purpose),
        ds_sensitive_no_purpose_reads=ev.count(where=sensitive & no_ticket & no_purpose & lookups),
        **{f"ds_records_{s}": ev.wk_records.sum(where=ev.wk_sens == s) for s in SENSITIVITIES},
        ds_datasets=ev.dataset.nunique(),
    )
