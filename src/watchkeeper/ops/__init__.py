"""Operations on top of the case service: verdict feedback into rule precision and risk
(`verdicts`, `rulestats`), allow-list proposals (`allowlist`) and watchlists
(`watchlists`); the scheduler, shifts, SLAs and hand-offs join here
(docs/operations.md).

Every module takes the time as an argument; none reads the system clock itself.
"""
