"""Page read models: what each page shows, computed without Flask or a database driver."""
