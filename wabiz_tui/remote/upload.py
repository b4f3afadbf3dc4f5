"""Upload configuration files over SFTP, each written to a temporary name then renamed into place."""

from __future__ import annotations

import posixpath

import asyncssh

from .errors import UploadFailed


async def upload_text(conn: asyncssh.SSHClientConnection, host: str, remote_path: str, text: str, *, mode: int = 0o644) -> int:
    """Write ``text`` (UTF-8) to ``remote_path`` with ``mode`` (octal, e.g. 0o600 for ``db.env``).

    The file is written as ``.<name>.wabiz-tmp``, its mode set before any content is written, then
    renamed over the target (POSIX rename), so a half-written file never takes the target's place.
    Returns the byte count. Raises :class:`UploadFailed` naming the host and the path; the temporary
    file is removed on failure.
    """
    data = text.encode("utf-8")
    directory, name = posixpath.split(remote_path)
    tmp = posixpath.join(directory, f".{name}.wabiz-tmp")
    try:
        async with conn.start_sftp_client() as sftp:
            try:
                async with sftp.open(tmp, "wb", attrs=asyncssh.SFTPAttrs(permissions=mode)) as fh:
                    await sftp.chmod(tmp, mode)
                    await fh.write(data)
                await _replace(sftp, tmp, remote_path)
                await sftp.chmod(remote_path, mode)
                size = (await sftp.stat(remote_path)).size
            except BaseException:
                try:
                    await sftp.remove(tmp)
                except (asyncssh.SFTPError, OSError):
                    pass
                raise
    except asyncssh.SFTPError as exc:
        raise UploadFailed(host, f"upload of {remote_path} failed: {exc.reason}",
                           f"check that {directory} exists and is writable by the SSH user") from None
    except (asyncssh.Error, OSError) as exc:
        raise UploadFailed(host, f"upload of {remote_path} interrupted ({exc.__class__.__name__}); the file was not replaced",
                           "retry the step") from None
    if size != len(data):
        raise UploadFailed(host, f"{remote_path} has {size} bytes after upload, expected {len(data)}", "retry the step")
    return len(data)


async def _replace(sftp: asyncssh.SFTPClient, src: str, dst: str) -> None:
    try:
        await sftp.posix_rename(src, dst)
    except (asyncssh.SFTPOpUnsupported, asyncssh.SFTPError):
        try:
            await sftp.remove(dst)
        except asyncssh.SFTPNoSuchFile:
            pass
        await sftp.rename(src, dst)
