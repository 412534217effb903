"""Each page's labels in English and Simplified Chinese, merged into `layouts.i18n.TEXT`."""
