"""How the image registry and the host's disk answer a pull, shared by ``docker pull`` and compose's
pull (``up`` of a new image): refused, unreachable, or no room left under ``/var/lib/docker``.

The messages follow the Docker daemon's wording: a registry that demands a login it was not given, as dockerd
20.10.24 said here against the lab's docker-registry 2.8 (``lab fault registry deny``) to ``docker pull`` and to
``docker-compose up`` alike: ``Head "https://docker.whatsapp.biz/v2/coreapp/manifests/v2.41.2": no basic auth
credentials``; ``Get "https://REGISTRY/v2/": dial tcp: lookup REGISTRY …: no such
host`` and ``write /var/lib/docker/…: no space left on device``.
"""

from __future__ import annotations

from .host import HostContext

#: Free space (KiB) below which a pull fails for lack of room: a WhatsApp image needs most of 1 GiB.
PULL_NEEDS_KB = 900 * 1024


def pull_refusal(host: HostContext, image: str) -> str | None:
    """The daemon's error for pulling ``image`` on ``host`` now, or None when the pull would work."""
    repo = image.rsplit(":", 1)[0]
    registry = repo.split("/", 1)[0] if "/" in repo else "registry-1.docker.io"
    if host.brain.registry_unreachable:
        return f'Get "https://{registry}/v2/": dial tcp: lookup {registry} on 127.0.0.53:53: no such host'
    if host.brain.registry_denied:
        path, tag = repo.split("/", 1)[-1], image.rsplit(":", 1)[-1]
        return f'Head "https://{registry}/v2/{path}/manifests/{tag}": no basic auth credentials'
    if host.disk_free_kb < PULL_NEEDS_KB:
        return (f"failed to register layer: write /var/lib/docker/overlay2/{abs(hash(image)) % 16**12:012x}/diff/"
                "opt/whatsapp/lib/libwa.so: no space left on device")
    return None
