"""Procedure steps (numbers, keys, titles), importable without the engine: faces read them at start-up."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StepInfo:
    """A step of a procedure: its number in the seed, a stable key, a title and what it does."""

    number: int
    key: str
    title: str
    description: str


#: The 9 High Availability steps of the seed (design.md §2).
HA_STEPS: tuple[StepInfo, ...] = (
    StepInfo(1, "directory", "Working directory", "Create the configuration directory on every host."),
    StepInfo(2, "files", "Configuration files", "Render prod-multiconnect-compose.yml and upload it to every host."),
    StepInfo(3, "db_env", "Database variables", "Write db.env (mode 600) on every host."),
    StepInfo(4, "media", "Media volume", "Check the media volume: named volume, or a host path present with mode 755."),
    StepInfo(5, "start", "Start the client", "up -d waweb / master / wacore on each host, with EXTERNAL_HOSTNAME and WA_API_VERSION."),
    StepInfo(6, "containers", "Containers running", "docker-compose ps on every host: every planned service is Up."),
    StepInfo(7, "health", "Health check", "GET /v1/health: the primary master is unregistered, nothing has failed."),
    StepInfo(8, "register", "Register", "POST /v1/account, then POST /v1/account/verify with the code."),
    StepInfo(9, "health2", "Second health check", "GET /v1/health: exactly one Coreapp connected, the others standby."),
)

#: The 4 Multiconnect steps of the seed.
MC_STEPS: tuple[StepInfo, ...] = (
    StepInfo(1, "shards", "Set shards", "POST /v1/account/shards with the shard count (1, 2, 4, 8, 16 or 32)."),
    StepInfo(2, "health", "Health check", "GET /v1/health: as many Coreapps connected as shards."),
    StepInfo(3, "add_coreapp", "One more Coreapp", "Upload the files to a new host and up -d wacore there."),
    StepInfo(4, "health2", "Second health check", "GET /v1/health: every shard served and the new Coreapp a standby."),
)
