"""Component ids, one place for every page."""

# Shell (every page)
URL = "shell-url"
LANG = "shell-lang"  # dcc.Store in local storage: "en" or "zh"
LANG_SWITCH = "shell-lang-switch"
CENTRE_NAME = "shell-centre-name"
NAV = "shell-nav"
USER_MENU = "shell-user-menu"
CLOCK = "shell-clock"
CLOCK_INTERVAL = "shell-clock-interval"
HEALTH = "shell-health"
HEALTH_INTERVAL = "shell-health-interval"
PAGE = "shell-page"
OUTAGE = "shell-outage"  # the banner shown while the database does not answer

# Wall display
WALL_INTERVAL = "wall-interval"
WALL_KPIS = "wall-kpis"
WALL_GRID = "wall-grid"
WALL_GRID_TITLE = "wall-grid-title"
WALL_FEED = "wall-feed"
WALL_FEED_TITLE = "wall-feed-title"

# Alarm console
CONSOLE_INTERVAL = "console-interval"
CONSOLE_GRID = "console-grid"
CONSOLE_COUNT = "console-count"
CONSOLE_SELECTED = "console-selected"  # dcc.Store: the alarm id shown in the detail panel
CONSOLE_BUMP = "console-bump"  # dcc.Store: changed after every action, to refresh views
CONSOLE_DETAIL = "console-detail"
CONSOLE_DETAIL_BODY = "console-detail-body"
CONSOLE_TREND = "console-trend"
CONSOLE_PERMITS = "console-permits"
CONSOLE_HISTORY = "console-history"
CONSOLE_ACTIONS = "console-actions"
CONSOLE_CONTACTS_BUTTON = "console-contacts-button"
CONSOLE_CONTACTS = "console-contacts"
CONSOLE_CALL_CONTACT = "console-call-contact"
CONSOLE_CALL_OUTCOME = "console-call-outcome"
CONSOLE_CALL_NOTE = "console-call-note"
CONSOLE_CALL_SUBMIT = "console-call-submit"
CONSOLE_ACK_COMMENT = "console-ack-comment"
CONSOLE_ACK_DISPOSITION = "console-ack-disposition"
CONSOLE_ACK_SUBMIT = "console-ack-submit"
CONSOLE_SHELVE_MINUTES = "console-shelve-minutes"
CONSOLE_SHELVE_REASON = "console-shelve-reason"
CONSOLE_SHELVE_SUBMIT = "console-shelve-submit"
CONSOLE_RESULT = "console-result"
CONSOLE_PAGER = "console-pager"  # previous, "Page 2 of 59", next
CONSOLE_PAGE = "console-page"  # dcc.Store: {"page": asked for, "view": its filters and sort}
CONSOLE_PAGE_SHOWN = "console-page-shown"  # dcc.Store: the page the table shows (0-based)
CONSOLE_PAGE_PREV = "console-page-prev"
CONSOLE_PAGE_NEXT = "console-page-next"
CONSOLE_PAGE_LABEL = "console-page-label"
CONSOLE_ROWS_KEY = "console-rows-key"  # dcc.Store: fingerprint of the rows the browser has
CONSOLE_CLOCK = "console-clock"  # dcc.Store: the server's time at the last refresh (elapsed)
CONSOLE_TICK = "console-tick"  # dcc.Store: when the browser last redrew the elapsed times
CONSOLE_BULK_SELECTION = "console-bulk-selection"  # "3 selected"
CONSOLE_BULK_ACK = "console-bulk-ack"  # opens the bulk panel to acknowledge
CONSOLE_BULK_SHELVE = "console-bulk-shelve"  # opens the bulk panel to shelve
CONSOLE_BULK_PANEL = "console-bulk-panel"
CONSOLE_BULK_TITLE = "console-bulk-title"
CONSOLE_BULK_PLAN = "console-bulk-plan"  # dcc.Store: the action and the ids of each scope
CONSOLE_BULK_SCOPE = "console-bulk-scope"  # the selected rows, or all matching the filter
CONSOLE_BULK_COMMENT = "console-bulk-comment"
CONSOLE_BULK_DISPOSITION = "console-bulk-disposition"
CONSOLE_BULK_MINUTES = "console-bulk-minutes"
CONSOLE_BULK_CONFIRM = "console-bulk-confirm"
CONSOLE_BULK_CANCEL = "console-bulk-cancel"
CONSOLE_BULK_RESULT = "console-bulk-result"

TIMEZONE = "shell-timezone"

# Admin page
ADMIN_TABS = "admin-tabs"
ADMIN_INTERVAL = "admin-interval"
ADMIN_BUMP = "admin-bump"  # dcc.Store: changed after every action, to refresh the lists
ADMIN_USERS_GRID = "admin-users-grid"
ADMIN_USER_SELECTED = "admin-user-selected"  # dcc.Store: the user name the actions apply to
ADMIN_USER_HEAD = "admin-user-head"
ADMIN_USER_ACTIONS = "admin-user-actions"
ADMIN_ROLE = "admin-role"
ADMIN_SET_ROLE = "admin-set-role"
ADMIN_RESET_PASSWORD = "admin-reset-password"
ADMIN_SET_PASSWORD = "admin-set-password"
ADMIN_TOGGLE_ACTIVE = "admin-toggle-active"
ADMIN_DELETE_CONFIRM = "admin-delete-confirm"
ADMIN_DELETE = "admin-delete"
ADMIN_NEW_USERNAME = "admin-new-username"
ADMIN_NEW_PASSWORD = "admin-new-password"
ADMIN_NEW_ROLE = "admin-new-role"
ADMIN_CREATE = "admin-create"
ADMIN_RESULT = "admin-result"
ADMIN_AUDIT_GRID = "admin-audit-grid"
ADMIN_REJECT_COUNTS = "admin-reject-counts"
ADMIN_REJECT_GRID = "admin-reject-grid"
ADMIN_UNREGISTERED_COUNT = "admin-unregistered-count"
ADMIN_UNREGISTERED_GRID = "admin-unregistered-grid"
ADMIN_REGISTRY_INFO = "admin-registry-info"
ADMIN_RELOAD = "admin-reload"
ADMIN_RELOAD_RESULT = "admin-reload-result"
ADMIN_HEALTH = "admin-health"

# Wall display: chime for new red alarms; console body (list + detail + actions)
WALL_SOUND = "wall-sound"  # the "Enable sound" toggle button
WALL_SOUND_ON = "wall-sound-on"  # dcc.Store (session): whether the chime may play
WALL_RED_IDS = "wall-red-ids"  # dcc.Store: ids of open red alarms, from the refresh
WALL_CHIMES = "wall-chimes"  # dcc.Store: how many times the chime played on this page
WALL_CHIME_AUDIO = "wall-chime-audio"
WALL_GRID_KEY = (
    "wall-grid-key"  # dcc.Store: fingerprints of the grid, KPIs and feed the browser has
)
CONSOLE_BODY = "console-body"

# Enterprise directory
DIRECTORY_SEARCH = "directory-search"
DIRECTORY_REGION = "directory-region"
DIRECTORY_INTERVAL = "directory-interval"
DIRECTORY_GRID = "directory-grid"
DIRECTORY_COUNT = "directory-count"
DIRECTORY_SELECTED = "directory-selected"  # dcc.Store: the enterprise id shown in the detail
DIRECTORY_DETAIL = "directory-detail"
DIRECTORY_DETAIL_BODY = "directory-detail-body"
DIRECTORY_CONTACTS = "directory-contacts"
DIRECTORY_PHONES_BUTTON = "directory-phones-button"

# Permits
PERMITS_INTERVAL = "permits-interval"
PERMITS_BUMP = "permits-bump"  # dcc.Store: changed after a permit is recorded, to refresh
PERMITS_FILTER_ENTERPRISE = "permits-filter-enterprise"
PERMITS_FILTER_ZONE = "permits-filter-zone"
PERMITS_FILTER_STATE = "permits-filter-state"
PERMITS_GRID = "permits-grid"
PERMITS_COUNT = "permits-count"
PERMITS_RESTRICTIONS = "permits-restrictions"
PERMITS_FORM_ENTERPRISE = "permits-form-enterprise"
PERMITS_FORM_SITE = "permits-form-site"
PERMITS_FORM_ZONE = "permits-form-zone"
PERMITS_FORM_TYPE = "permits-form-type"
PERMITS_FORM_NUMBER = "permits-form-number"
PERMITS_FORM_START = "permits-form-start"
PERMITS_FORM_END = "permits-form-end"
PERMITS_FORM_WORKERS = "permits-form-workers"
PERMITS_FORM_SUPERVISOR = "permits-form-supervisor"
PERMITS_FORM_STATUS = "permits-form-status"
PERMITS_FORM_NOTE = "permits-form-note"
PERMITS_FORM_SUBMIT = "permits-form-submit"
PERMITS_FORM_RESULT = "permits-form-result"

# Site page
SITE_PAGE = "site-page"  # the slot its callback fills with the site (or the picker)
SITE_REQUEST = "site-request"  # dcc.Store: {"lang", "query"} the page was opened with
SITE_NAV = "site-nav"  # dcc.Location the picker navigates with
SITE_CURRENT = "site-current"  # dcc.Store: {"enterprise", "site"} the page shows
SITE_ENTERPRISE = "site-enterprise"
SITE_SITE = "site-site"
SITE_INTERVAL = "site-interval"
SITE_STATUS = "site-status"
SITE_ZONES = "site-zones"  # the zone lines (people, sensors, abnormal, alarm)
SITE_GRID = "site-grid"  # the sensors' AgGrid
SITE_GRID_DELTA = "site-grid-delta"  # dcc.Store: rows the server sends (all, or changes)
SITE_GRID_SEEN = "site-grid-seen"  # dcc.Store: {"key", "d": {sensor: digest}} the grid holds
SITE_GRID_COUNT = "site-grid-count"  # "Showing 28 of 400"
SITE_GRID_ZONE = "site-grid-zone"  # the grid's zone filter
SITE_ABNORMAL = "site-abnormal"  # the "abnormal only" switch
SITE_PANEL_SEEN = "site-panel-seen"  # dcc.Store: digest of the zone lines and badges shown
SITE_SENSORS = "site-sensors"
SITE_WINDOW = "site-window"
SITE_TREND = "site-trend"
SITE_TREND_INFO = "site-trend-info"
SITE_TREND_STAMP = "site-trend-stamp"  # dcc.Store: what the trend shows and when it was drawn
SITE_TREND_DELTA = "site-trend-delta"  # dcc.Store: a live refresh's new points (assets/site.js)
SITE_ZONE = "site-zone"
SITE_PEOPLE = "site-people"
SITE_PEOPLE_STAMP = "site-people-stamp"
SITE_PEOPLE_DELTA = "site-people-delta"
SITE_PERMITS = "site-permits"
SITE_ZONE_ROW = "site-zone-row"  # pattern-matching type: {"type": ..., "zone": id}
