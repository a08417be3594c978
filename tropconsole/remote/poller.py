"""The fleet poller: every host refreshed in parallel, none able to stall the others.

Why it is built this way:

* One worker thread per host (a pool sized to the fleet) and at most one refresh in flight
  per host. ``poll()`` waits at most the per-host timeout, and only for hosts that
  answered last time (``_wait``); a host still running past it is
  *abandoned*, not cancelled (paramiko and libvirt calls cannot be interrupted safely), and
  is reported stale. Its thread finishes on its own (socket and keepalive timeouts), and
  no second refresh is started for that host meanwhile, so a slow host can hold at most its
  own thread.
* A failed host keeps its last good snapshot, marked ``STALE`` with the error and (via
  ``last_ok``) its age, so an operator still sees what was there a minute ago.
* Reconnects back off exponentially (1 s doubling, capped at 60 s) so a dead host costs
  one failed connect now and then, not one per refresh.
* Warm refreshes run a few at a time (``remote.slots``: two per core, a refresh waits at
  most a quarter second for its turn), so a large fleet's refresh does not put every
  thread on the interpreter lock at once while the operator types.
* Counters (handshakes, execs, RPCs) are exposed per host: steady state opens no
  connection and runs exactly one SSH exec per host per refresh, and tests assert that.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from tropconsole.core.errors import TropError
from tropconsole.core.live import Counters, FleetSnapshot, HostSnapshot, HostState, HostStatus
from tropconsole.remote.apply import LibvirtApplier
from tropconsole.remote.inventory import Inventory
from tropconsole.remote.libvirt_conn import LibvirtSession
from tropconsole.remote.slots import SLOT_WAIT, RefreshSlots
from tropconsole.remote.ssh import SshSession
from tropconsole.remote.tunnel import libvirt_session

BACKOFF_BASE = 1.0
BACKOFF_CAP = 60.0


@dataclass
class _Host:
    """Mutable per-host state; only the poller thread and that host's worker touch it."""

    name: str
    ssh: SshSession
    libvirt: LibvirtSession
    snapshot: HostSnapshot | None = None
    error: str | None = None
    last_ok: float | None = None
    last_attempt: float | None = None
    failures: int = 0
    next_try: float = 0.0  # monotonic time before which no reconnect is attempted
    future: cf.Future[HostSnapshot] | None = None
    started: float = 0.0  # monotonic start of the refresh in flight

    def counters(self) -> Counters:
        return Counters(
            handshakes=self.ssh.handshakes + self.libvirt.handshakes,
            execs=self.ssh.execs,
            rpcs=self.libvirt.rpcs,
        )


class FleetPoller:
    """Implements ``core.ports.FleetSource`` for the real fleet described by an inventory."""

    def __init__(
        self,
        inventory: Inventory,
        *,
        read_only: bool | None = None,
        timeout: float | None = None,
        backoff_base: float = BACKOFF_BASE,
        backoff_cap: float = BACKOFF_CAP,
        clock: Callable[[], float] = time.time,
        refresh_slots: int | None = None,
    ) -> None:
        self.inventory = inventory
        self.read_only = inventory.read_only if read_only is None else read_only
        self.timeout = timeout or inventory.timeout
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._clock = clock
        # warm refreshes at once (None: the inventory's, else two per core); remote.slots
        slots = inventory.refresh_slots if refresh_slots is None else refresh_slots
        self.slots = RefreshSlots(slots, wait=min(SLOT_WAIT, self.timeout / 4))
        self._hosts: dict[str, _Host] = {}
        for entry in inventory.hosts:
            ssh = SshSession(entry.name, inventory, timeout=self.timeout)
            lv = libvirt_session(
                inventory, entry.name, ssh, read_only=self.read_only, timeout=self.timeout
            )
            self._hosts[entry.name] = _Host(entry.name, ssh, lv)
        self._pool = cf.ThreadPoolExecutor(
            max_workers=max(1, len(self._hosts)), thread_name_prefix="tropconsole-poll"
        )
        self._openers = cf.ThreadPoolExecutor(
            max_workers=max(1, len(self._hosts)), thread_name_prefix="tropconsole-open"
        )
        self._lock = threading.Lock()  # one poll() at a time
        self.last: FleetSnapshot | None = None
        self._closed = False

    @property
    def host_names(self) -> tuple[str, ...]:
        return tuple(self._hosts)

    def session(self, host: str) -> LibvirtSession:
        h = self._hosts.get(host)
        if h is None:
            raise TropError(f"{host}: not in the inventory ({self.inventory.path})")
        return h.libvirt

    def ssh_session(self, host: str) -> SshSession:
        h = self._hosts.get(host)
        if h is None:
            raise TropError(f"{host}: not in the inventory ({self.inventory.path})")
        return h.ssh

    def applier(self) -> LibvirtApplier | None:
        """Shares the poller's libvirt connections: applying opens no new handshake."""
        if self.read_only:
            return None
        return LibvirtApplier(self.session, read_only=False)

    def sync_applier(self) -> LibvirtApplier | None:
        """The same connections with explicit sides (as ``tropconsole sync`` uses them)."""
        if self.read_only:
            return None
        from tropconsole.remote.scoped import ScopedLibvirtApplier

        return ScopedLibvirtApplier(self.session, read_only=False)

    def poll(self) -> FleetSnapshot:
        with self._lock:
            now_m = time.monotonic()
            for h in self._hosts.values():
                self._harvest(h)
                if h.future is None and now_m >= h.next_try and not self._closed:
                    h.last_attempt = self._clock()
                    h.started = now_m
                    h.future = self._pool.submit(self._refresh, h)
            self._wait(now_m)
            for h in self._hosts.values():
                self._harvest(h)
            snap = FleetSnapshot(
                taken_at=self._clock(),
                hosts=tuple(self._status(h) for h in self._hosts.values()),
            )
            self.last = snap
            return snap

    def _wait(self, now_m: float) -> None:
        """Wait for the refreshes worth waiting for, each until its own deadline: hosts that
        answered last time (or are connecting for the first time). A refresh already past
        its timeout (abandoned) or a retry of a failing host is not waited for; whichever
        poll() finds it done picks it up, so one dead host cannot slow the others' cadence.
        With only failing hosts in flight, their retries get the timeout."""
        flying = [
            h
            for h in self._hosts.values()
            if h.future is not None and now_m < h.started + self.timeout
        ]
        wanted = [h for h in flying if h.failures == 0] or flying
        if wanted:
            deadline = max(h.started for h in wanted) + self.timeout
            futures = [h.future for h in wanted if h.future is not None]
            cf.wait(futures, timeout=max(0.0, deadline - time.monotonic()))

    def _refresh(self, h: _Host) -> HostSnapshot:
        """One refresh of one host, in a worker thread. Drops dead connections on failure.
        A warm one (both connections up) takes a refresh slot first."""
        opening: cf.Future[object] | None = None
        try:
            libvirt_up = h.libvirt.connected  # inside the try: isAlive() may raise
            warm = libvirt_up and h.ssh.connected
            with self.slots.slot() if warm else contextlib.nullcontext():
                h.libvirt.reset_timing()
                if not libvirt_up:
                    # open libvirt (its channel, or its own ssh) while the links exec runs
                    opening = self._openers.submit(h.libvirt.connection)
                links, neighbours, checkout = h.ssh.read_host()
                if opening is not None:
                    opening.result()
                networks, leases = h.libvirt.read_networks(h.ssh.read_file)
                domains = h.libvirt.read_domains()
                return HostSnapshot(
                    host=h.name,
                    taken_at=self._clock(),
                    rtt_ms=h.libvirt.fastest_ms,
                    links=links,
                    networks=networks,
                    leases=leases,
                    nics=tuple(nic for dom in domains for nic in dom.nics),
                    domains=domains,
                    neighbours=neighbours,
                    checkout=checkout,
                )
        except BaseException:
            if opening is not None:
                cf.wait([opening])  # bounded by the connect timeouts; never close under it
            if not h.ssh.connected:
                h.ssh.close()
            if not h.libvirt.connected:
                h.libvirt.close()
            raise

    def _harvest(self, h: _Host) -> None:
        """Record the result of a finished refresh, if there is one."""
        fut = h.future
        if fut is None or not fut.done():
            return
        h.future = None
        err = fut.exception()
        if err is None:
            h.snapshot = fut.result()
            h.last_ok = h.snapshot.taken_at
            h.error = None
            h.failures = 0
            h.next_try = 0.0
            return
        text = err.message if isinstance(err, TropError) else f"{type(err).__name__}: {err}"
        h.error = text.removeprefix(f"{h.name}: ")  # the status already names the host
        h.failures += 1
        delay = min(self.backoff_cap, self.backoff_base * 2 ** (h.failures - 1))
        h.next_try = time.monotonic() + delay

    def _status(self, h: _Host) -> HostStatus:
        now_m = time.monotonic()
        error = h.error
        if h.future is not None:
            waited = now_m - h.started
            if h.failures and waited < self.timeout:
                error = f"{error}; retrying" if error else "retrying"
            else:
                error = f"no answer for {waited:.1f}s (timeout {self.timeout:g}s); still waiting"
        elif error and h.next_try > now_m:
            error = f"{error}; next try in {h.next_try - now_m:.0f}s"
        if error is None and h.snapshot is not None:
            state = HostState.OK
        elif h.snapshot is not None:
            state = HostState.STALE
        elif h.failures == 0:
            state = HostState.CONNECTING
        else:
            state = HostState.DOWN
        return HostStatus(
            host=h.name,
            state=state,
            snapshot=h.snapshot,
            error=error,
            last_ok=h.last_ok,
            last_attempt=h.last_attempt,
            counters=h.counters(),
            read_only=self.read_only,
        )

    def close(self) -> None:
        """Close every connection. A refresh still running may finish until its own
        deadline (started + timeout), no later: closing a libvirt connection under a call in
        flight is unsafe, so a host still busy after that (an abandoned refresh) keeps its
        libvirt connection until the process exits, and quitting never waits for it."""
        self._closed = True
        running = [h for h in self._hosts.values() if h.future is not None]
        if running:
            deadline = max(h.started for h in running) + self.timeout
            cf.wait(
                [h.future for h in running if h.future is not None],
                timeout=max(0.0, deadline - time.monotonic()),
            )
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._openers.shutdown(wait=False, cancel_futures=True)
        for h in self._hosts.values():
            busy = h.future is not None and not h.future.done()
            h.ssh.close()
            if not busy:
                h.libvirt.close()

    def __enter__(self) -> FleetPoller:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
