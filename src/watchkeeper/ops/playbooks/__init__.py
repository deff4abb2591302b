"""Playbooks as code: YAML playbooks that alert, case, SLA-breach and watchlist events
start (docs/operations.md, "Playbooks").

``spec`` the language (pydantic), ``loader`` files in with file:line errors,
``triggers`` compiled matchers, ``queue`` runs queued in the trigger's transaction and
read back, ``steps`` what each action does, ``runner`` attempts with retries and
back-off, ``webhook`` the allow-listed HTTP call, ``golden`` `playbooks test`.
"""
