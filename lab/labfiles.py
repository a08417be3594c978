"""The files a lab hands out: keys, known_hosts, ssh_config, the ssh wrapper, inventory."""

from __future__ import annotations

import json
import shlex

from labcore import Lab, run, write


def write_keys(lab: Lab, n: int) -> None:
    run(
        "ssh-keygen",
        "-q",
        "-t",
        "ed25519",
        "-N",
        "",
        "-C",
        "tropconsole-lab-client",
        "-f",
        str(lab.dir / "id_ed25519"),
    )
    pub = (lab.dir / "id_ed25519.pub").read_text()
    write(lab.dir / "authorized_keys", pub, 0o600)
    known = []
    for i in range(1, n + 1):
        host = lab.host(i)
        key = lab.hdir(host) / "ssh_host_ed25519_key"
        key.parent.mkdir(parents=True, exist_ok=True)
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"root@{host}", "-f", str(key))
        kt, kb64 = key.with_suffix(".pub").read_text().split()[:2]
        known.append(f"{lab.mgmt(i)[1]} {kt} {kb64}\n")
    write(lab.dir / "known_hosts", "".join(known))


def write_client_files(lab: Lab, n: int) -> None:
    blocks = [f"# tropconsole lab in {lab.dir}: use with `ssh -F {lab.dir / 'ssh_config'}`.\n"]
    for i in range(1, n + 1):
        addr = lab.mgmt(i)[1]
        blocks.append(
            f"Host {lab.host(i)} {addr}\n"
            f"    HostName {addr}\n"
            "    User root\n"
            "    Port 22\n"
            f"    IdentityFile {lab.dir / 'id_ed25519'}\n"
            "    IdentitiesOnly yes\n"
            "    IdentityAgent none\n"
            f"    UserKnownHostsFile {lab.dir / 'known_hosts'}\n"
            "    GlobalKnownHostsFile /dev/null\n"
            "    StrictHostKeyChecking yes\n"
            "    UpdateHostKeys no\n"
            "    BatchMode yes\n"
            "    ConnectTimeout 5\n"
        )
    write(lab.dir / "ssh_config", "\n".join(blocks))
    write(
        lab.ssh_wrapper,
        "#!/bin/sh\n"
        "# ssh with the lab's key, known_hosts and config; libvirt's qemu+ssh runs it\n"
        "# through the URI's command= parameter.\n"
        f'exec ssh -F {shlex.quote(str(lab.dir / "ssh_config"))} "$@"\n',
        0o755,
    )
    q = json.dumps
    inv = [
        f"# tropconsole inventory for the lab in {lab.dir} (written by lab/up).",
        f"repo = {q(str(lab.dir / 'repo'))}",
        "refresh_interval = 5.0",
        "read_only = false",
        "timeout = 5.0",
        f"ssh_config = {q(str(lab.dir / 'ssh_config'))}",
        f"known_hosts = [{q(str(lab.dir / 'known_hosts'))}]",
    ]
    for i in range(1, n + 1):
        inv += [
            "",
            f"[hosts.{lab.host(i)}]",
            f"ssh_host = {q(lab.mgmt(i)[1])}",
            'user = "root"',
            "port = 22",
            f"identity = {q(str(lab.dir / 'id_ed25519'))}",
        ]
    write(lab.dir / "inventory.toml", "\n".join(inv) + "\n")
