"""docker-compose emulator (1.29 flavour; ``docker compose`` v2 accepted with the same behaviour).

It reads the compose file really uploaded into the host sandbox and drives the daemon's containers
(:class:`~..daemon.Daemon`). Messages and table shapes imitate docker-compose 1.29 (progress lines
go to stderr like the real tool; ``ps``/``logs``/``config``/``version`` to stdout). :mod:`.project` reads the file,
:mod:`.lifecycle` changes containers, :mod:`.pull` pulls images, :mod:`.views` looks at them, :mod:`.main` parses the command
line and registers the ``docker-compose`` program; :mod:`.common` holds what they share.
"""

from .common import ports_text, since_time
from .main import compose_main
from .project import ComposeError, interpolate, load_project, parse_env_file

__all__ = ["compose_main", "load_project", "interpolate", "parse_env_file", "ComposeError", "ports_text", "since_time"]
