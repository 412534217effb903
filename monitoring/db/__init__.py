"""The relational store, SQLite or PostgreSQL.

`database` opens it and keeps the schema version, `schema` declares every table, and `rows`
holds the row-level SQL the books share; `errors` tells a database that does not answer
from other errors.
"""
