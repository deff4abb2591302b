"""Operations: the scheduler that keeps the pipeline and the clocks running (`scheduler`,
`jobs`, `jobstore`), the event intake of the service (`events_intake`), drop folders
(`dropfolders`); verdict feedback into rule precision and risk (`verdicts`,
`rulestats`), allow-list proposals (`allowlist`) and watchlists (`watchlists`); the
clocks and calendars work runs on: shifts, routing of new cases, SLAs, hand-offs
(`hours`, `shifts`, `routing`, `sla`, `handoff`, `escalation`, `compliance`)
(docs/operations.md).

Every module takes the time as an argument or a `clock.Clock`; none reads the system
clock itself.
"""
