"""Alarm rules: turn stored readings, people counts, permits and gateway states into signals.

`engine.RuleEngine` runs the rules of `catalog.RULES` per site; `severity.SEVERITY_TABLE`
says how severe each condition is.
"""
