"""Tiny CERT-shaped files written by the tests (CERT's licence forbids copying its data)."""

from __future__ import annotations

from pathlib import Path

HEADERS = {
    "logon": "id,date,user,pc,activity",
    "device_r6": "id,date,user,pc,file_tree,activity",
    "device_r4": "id,date,user,pc,activity",
    "file_r6": "id,date,user,pc,filename,activity,to_removable_media,from_removable_media,content",
    "file_r4": "id,date,user,pc,filename,content",
    "email_r6": "id,date,user,pc,to,cc,bcc,from,activity,size,attachments,content",
    "email_r4": "id,date,user,pc,to,cc,bcc,from,size,attachments,content",
    "http_r6": "id,date,user,pc,url,activity,content",
    "http_r4": "id,date,user,pc,url,content",
    "psychometric": "employee_name,user_id,O,C,E,A,N",
    "ldap_r6": "employee_name,user_id,email,role,projects,business_unit,functional_unit,"
               "department,team,supervisor",
    "ldap_r4": "employee_name,user_id,email,role,business_unit,functional_unit,department,"
               "team,supervisor",
}


def write(path: Path, header: str | None, rows: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ([header] if header else []) + rows
    path.write_text("".join(line + "\n" for line in lines), "utf-8")
    return path


def logon_row(i: int, user: str = "ACM2278", pc: str = "PC-6377", day: int = 4,
              activity: str = "Logon") -> str:
    when = f"01/{day:02d}/2010 {8 + i % 10:02d}:{i % 60:02d}:00"
    return f"{{L{i:04d}-AAAA}},{when},{user},{pc},{activity}"
