"""andon's web console: server-rendered pages on the API's FastAPI application.

Pages are Jinja2 templates with one small script of our own; charts are SVG drawn on the
server from series downsampled to at most :data:`andon.series.MAX_POINTS` points. Every
file the browser loads is served by andon itself, so the console works with no internet.

>>> from andon.web import ConsoleSettings
>>> ConsoleSettings().live_every_s
10
"""

from andon.web._app import Console, ConsoleSettings, install_console
from andon.web._session import COOKIE, Principal, SessionBackend

__all__ = ["COOKIE", "Console", "ConsoleSettings", "Principal", "SessionBackend", "install_console"]
