"""What ``commerce up`` shows: readable, coloured lines and a status table on a terminal, JSON
lines anywhere else.

Only the supervisor imports this package. The services keep writing JSON lines; on a terminal
the supervisor reads them from a pipe and renders them, so no service process pays for it.
"""

# Kept here, apart from the rendering, for ``commerce``'s argument parser: every ``commerce
# serve`` builds it and imports nothing more of this package.
LOG_FORMATS = ("auto", "pretty", "json")
LOG_FORMAT_ENV = "COMMERCE_LOG_FORMAT"
