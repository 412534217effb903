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

# Wall display
WALL_INTERVAL = "wall-interval"
WALL_KPIS = "wall-kpis"
WALL_GRID = "wall-grid"
WALL_GRID_TITLE = "wall-grid-title"
WALL_FEED = "wall-feed"
WALL_FEED_TITLE = "wall-feed-title"
