"""Sign-in, sessions and CSRF for the web pages (Flask allowed here)."""
