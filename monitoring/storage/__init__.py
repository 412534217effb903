"""Time-series stores behind one interface: InfluxDB (v1 HTTP API), embedded SQLite, the spool."""
