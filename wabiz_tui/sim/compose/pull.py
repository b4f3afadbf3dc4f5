"""``docker-compose pull`` and the pull ``up`` does for an image the host lacks: the registry's refusal
(:func:`..registry.pull_refusal`), then compose 1.29.2's progress lines on stderr."""

from __future__ import annotations

import hashlib

from ..registry import pull_refusal
from ..shell import Proc
from .common import split_options, write_line
from .project import ComposeError, Project, Service, select_services


async def pull_image(p: Proc, svc: Service) -> None:
    """Pull ``svc``'s image unless the host holds it. On a terminal the layer rows are rewritten in place as
    compose 1.29.2 / dockerd 20.10 did here (``tests/fixtures/compose/up_pull.pty``): a blank row per layer
    filled by ``ESC[1A ESC[2K CR <layer>: Pulling fs layer CR ESC[1B``, progress written ``n`` rows up, and
    ``ESC[2K CR`` before ``Digest:``/``Status:``; without one, one plain line per event."""
    host = p.shell.host
    if svc.image in host.images:
        return
    repo, _, tag = svc.image.rpartition(":")
    await write_line(p, f"Pulling {svc.name} ({svc.image})...", 0.2)
    refusal = pull_refusal(host, svc.image)
    if refusal:
        raise ComposeError(refusal, prefix="")
    digest = _fake_digest(svc.image)
    layers = [digest[i:i + 12] for i in range(0, 48, 12)]
    tty = p.tty
    await p.err(("\x1b[2K\r" if tty else "") + f"{tag}: Pulling from {repo.split('/', 1)[-1]}" + ("\r\n" if tty else "\n"))
    await host.pause(0.1)

    async def row(i: int, text: str, pause: float) -> None:
        """Show ``text`` as layer ``i``'s row: on a terminal rewritten in place (``len(layers) - i`` rows up), otherwise
        as one plain line; then pause ``pause`` seconds of simulated time."""
        if tty:
            up = len(layers) - i
            await p.err(f"\x1b[{up}A\x1b[2K\r{text}\r\x1b[{up}B")
        else:
            await p.err(text + "\n")
        await host.pause(pause)

    for layer in layers:
        if tty:
            await p.err(f"\n\x1b[1A\x1b[2K\r{layer}: Pulling fs layer\r\x1b[1B")
            await host.pause(0.05)
        else:
            await write_line(p, f"{layer}: Pulling fs layer", 0.05)
    for i, layer in enumerate(layers):
        await row(i, f"{layer}: Downloading [=>                                                 ]  36.45kB/1.064MB", 0.1)
        await row(i, f"{layer}: Pull complete", 0.15)
    end = "\r\n" if tty else "\n"
    await p.err(("\x1b[2K\r" if tty else "") + f"Digest: sha256:{digest}" + end)
    await p.err(("\x1b[2K\r" if tty else "") + f"Status: Downloaded newer image for {svc.image}" + end)
    await host.pause(0.05)
    host.images.add(svc.image)


async def cmd_pull(p: Proc, proj: Project, rest: list[str]) -> int:
    """``pull [SERVICE...]``: pull each service's image the host does not hold (:func:`pull_image`, progress on stderr).
    Returns 0; :class:`ComposeError` for an unknown service or a pull the registry refuses (printed without
    ``ERROR:``)."""
    _, names = split_options(rest)
    for svc in select_services(proj, names):
        await pull_image(p, svc)
    return 0


def _fake_digest(image: str) -> str:
    """A stable stand-in digest of ``image``: the SHA-256 hex of its name (64 hex digits)."""
    return hashlib.sha256(image.encode()).hexdigest()
