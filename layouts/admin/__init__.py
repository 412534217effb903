"""The admin page, one module per tab (users, rejected, unregistered, registry, health) and the
page that assembles them (`page`)."""
