"""The books: what Hazwatch keeps in the relational store besides alarms, one module each.

`rejects` (rejected messages and their counts), `permits` (permit reports and who recorded
the phoned-in ones), `gateways`, `unregistered` (sensors missing from the registry),
`workers` (ingest heartbeats for /health) and `users` (accounts and the admin audit log).
`intake.IntakeBooks` is the set of them an ingest worker writes a batch to.
"""
