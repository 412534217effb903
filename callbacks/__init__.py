"""Dash callbacks, one thin module per page; importing a module registers its callbacks."""
