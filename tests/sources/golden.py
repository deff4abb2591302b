"""Golden inputs stored once; tests override single fields per case."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sources.source_helpers import override

T0 = 1736154753000  # 2025-01-06T09:12:33Z in epoch ms
WHEN = datetime(2025, 1, 6, 9, 12, 33, tzinfo=UTC)

BASE: dict[str, Any] = {
    "time": T0, "metadata": {"uid": "evt-1", "version": "1.1.0"},
    "actor": {"user": {"name": "AAM0658"}}, "device": {"hostname": "PC-1234"},
}
AUTH = override(BASE, class_uid=3002, activity_id=1, status_id=1, logon_type_id=2,
                **{"user.name": "AAM0658", "src_endpoint.ip": "10.1.2.3",
                   "cloud.region": "EU"})
AUTH.pop("actor")
FILE = override(BASE, class_uid=1001, activity_id=3,
                file={"path": "C:/Users/a/Report.DOCX", "name": "Report.DOCX", "size": 2048})
EMAIL = override(BASE, class_uid=4009, activity_id=1, email={
    "from": "a@corp.example", "to": ["b@corp.example", "x@gmail.com"],
    "cc": ["c@sub.corp.example"], "bcc": ["y@evil.test"], "size": 4096,
    "subject": "plans", "files": [{"name": "plan.pdf"}, {"name": "budget.xlsx"}]})
WEB = override(BASE, class_uid=4002, activity_id=3, http_request={
    "http_method": "get", "url": {"url_string": "https://WikiLeaks.org/upload?x=1",
                                  "hostname": "WikiLeaks.org"}})
DATASTORE = override(BASE, class_uid=6005, activity_id=1,
                     database={"name": "crm"}, table={"name": "user_profiles_eu"},
                     src_endpoint={"ip": "10.9.9.9", "hostname": "PC-1234"},
                     unmapped={"data_region": "EU", "record_count": 1234,
                               "sensitivity": "High", "ticket": "TCK-1", "purpose": "support"})

SIM_LINE: dict[str, Any] = {
    "id": "ds-1", "timestamp": "2025-01-06T09:12:33Z", "user": "AAM0658", "host": "PC-1234",
    "dataset": "user_profiles_eu", "data_region": "EU", "operation": "export",
    "records": 1234, "sensitivity": "high", "ticket": None, "purpose": "support",
    "client_ip": "10.1.2.3"}

HR_HEADER = ("id,name,email,department,team,role,manager,region,country,hire_date,"
             "notice_date,end_date,watchlists\n")
HR_ROW = ("AAM0658,Ann Moss,ann@corp.example,Finance,Payroll,Analyst,BOB0001,EU,DE,"
          "2019-03-01,2025-01-10,2025-02-28,flight_risk;privileged\n")
