"""Component ids, one place for every page."""

HOME_TABLE = "home-table"
HOME_INTERVAL = "home-interval"
HOME_SUMMARY = "home-summary"
