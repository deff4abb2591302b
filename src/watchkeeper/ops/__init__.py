"""Operations: the clocks and calendars work runs on (shifts, routing of new cases,
SLAs, hand-offs), built on the case service (docs/operations.md)."""
