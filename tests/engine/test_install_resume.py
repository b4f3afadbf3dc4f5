"""Headless `install` against the simulator: exit codes, the code asked for with a closed stdin,
and an install killed with SIGKILL during step 5, resumed without re-running finished hosts."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time

from wabiz_tui.config.profile import load_profile


async def start(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "wabiz_tui", *args, stdin=asyncio.subprocess.DEVNULL,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def finish(proc) -> tuple[int, str, str]:
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode, out.decode(), err.decode()


async def test_install_needs_yes_then_asks_for_the_code_then_finishes(demo):
    profile = str(demo.profile_path)
    code, _, err = await finish(await start("install", profile))
    assert code == 4 and "--yes" in err
    code, out, err = await finish(await start("install", profile, "--yes"))
    assert code == 5, out + err  # stdin is closed: fail fast with what to do, never hang
    assert "a registration code was sent to +1 6315550000" in out and "--code NNNNNN" in out
    # exit 5 is "needs input", not a failure (issue 17 trial): the step says what it waits for
    assert "  step 8 needs the registration code: run again with --code NNNNNN" in out and "FAILED" not in out, out
    sms = demo.cluster.sms_outbox[-1][1]
    code, out, err = await finish(await start("install", profile, "--yes", "--code", sms))
    assert code == 0, out + err
    assert "a code was requested in an earlier run" in out
    # the resume says where it resumes from, and not as a "step 0" (issue 17 trial)
    assert out.startswith("resuming from step 8: an earlier run completed up to step 7") and "step 0" not in out, out
    assert "step 5 wa-core-1: ok" in out and out.strip().splitlines()[-1].startswith("verdict: HA healthy")
    recap = out[out.index("recap:"):].splitlines()
    assert "  wa-core-1: ok=0 failed=0, 5 already done" in recap  # steps 1-3, 5, 6 re-checked (4 has no host work)
    assert load_profile(demo.profile_path).installed


async def test_killed_during_step_5_resumes_without_rerunning_finished_hosts(demo):
    demo.cluster.set_host_latency("wa-core-2", 1.5)  # one slow host keeps step 5 open after the others finished
    proc = await start("install", str(demo.profile_path), "--yes", "-v", "--skip-preflight")  # preflight: see test_preflight
    seen: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
        seen.append(line)
        if line.startswith("  step 5 wa-core-1: ok"):
            break
    else:
        raise AssertionError("step 5 never finished on wa-core-1: " + "".join(seen))
    os.kill(proc.pid, signal.SIGKILL)
    await proc.wait()
    done_before = {l.split()[2].rstrip(":") for l in seen if l.startswith("  step 5 ") and l.rstrip().endswith(": ok")}
    assert "wa-core-1" in done_before and "wa-core-2" not in done_before
    demo.cluster.set_host_latency("wa-core-2", 0)
    await asyncio.sleep(0.5)  # let the killed run's last remote command end

    code, out, err = await finish(await start("install", str(demo.profile_path), "--yes", "-v"))
    assert code == 5, out + err  # stops at the code again (closed stdin)
    step5 = [l for l in out.splitlines() if l.startswith("  step 5 ")]
    for host in done_before:
        assert any(l.startswith(f"  step 5 {host} | already done in an earlier run (re-checked") for l in step5), step5
        assert not any(l.startswith(f"  step 5 {host} | Creating") or l.startswith(f"  step 5 {host} | Recreating") for l in step5)
    assert any(l.startswith("  step 5 wa-core-2 | ") and ("Creating" in l or "is up-to-date" in l or "Starting" in l) for l in step5) \
        or any("step 5 wa-core-2: ok" in l for l in step5)
    code, out, err = await finish(await start("install", str(demo.profile_path), "--yes", "--code", demo.cluster.sms_outbox[-1][1]))
    assert code == 0, out + err


async def test_unknown_host_keys_refused_headless_unless_trusted_explicitly(demo):
    from wabiz_tui.config.paths import app_paths
    from wabiz_tui.config.profile import save_profile

    save_profile(demo.profile.with_changes(known_hosts=""), demo.profile_path)  # the simulator's keys are not known
    code, out, err = await finish(await start("preflight", str(demo.profile_path)))
    assert code == 1, out + err
    assert "unknown SSH host key ssh-ed25519 SHA256:" in out and "--trust-new-host-keys" in out
    assert not app_paths().known_hosts.exists() or not app_paths().known_hosts.read_text().strip()
    code, out, err = await finish(await start("preflight", str(demo.profile_path), "--trust-new-host-keys"))
    assert code == 0, out + err
    assert out.count("trusted the new host key ssh-ed25519 SHA256:") == 5
    assert len(app_paths().known_hosts.read_text().splitlines()) == 5
    code, out, err = await finish(await start("preflight", str(demo.profile_path)))  # now known: no flag needed
    assert code == 0 and "trusted the new host key" not in out
