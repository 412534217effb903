"""Names the web's HTML forms share with the pages that draw them.

Kept free of Flask so that `layouts/` can name the form token's field without importing the
session machinery (Flask-Login, the user book, the database).
"""

from __future__ import annotations

CSRF_FIELD = "csrf_token"  # the hidden field carrying the session's signed form token
