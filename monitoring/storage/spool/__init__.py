"""The on-disk spool: `frames` is the pure frame codec, `log` the segment log (`Spool`)."""
