"""The Markdown report of one ``python -m bench`` run."""

from __future__ import annotations

import math
from typing import Any

from bench.common import FRAME_S, median, paired_ratios, pct

TARGET_N = 8
VARIANTS = {"names": "100 names longer/shorter", "addresses": "100 leases moved"}


def ms(x: float | None) -> str:
    return (
        "-"
        if x is None or (isinstance(x, float) and math.isnan(x))
        else f"{x * 1000:.0f} ms"
        if x >= 0.1
        else f"{x * 1000:.1f} ms"
    )


def secs(x: float | None) -> str:
    return "-" if x is None or math.isnan(x) else f"{x:.2f} s"


def ratio(x: float | None) -> str:
    return "-" if x is None or math.isnan(x) else f"{x:.3f}"


def spread(values: list[float], fmt: Any) -> str:
    if not values:
        return "-"
    return f"{fmt(median(values))} ({fmt(min(values))}-{fmt(max(values))}, n={len(values)})"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("**PASS**" if ok else "**MISS**")


def fleet_rows(fleet: dict[str, Any], cpus: int = 2) -> list[dict[str, Any]]:
    out = []
    for n in sorted(fleet, key=int):
        rounds = fleet[n]["rounds"]
        ser = [r.get("serial") for r in rounds]
        cold = [r["cold"] for r in rounds]
        warm = [r["warm_median"] for r in rounds]
        single = [r["single_max"] for r in rounds]
        per = [v for r in rounds for v in r["per_refresh"].values()]
        out.append(
            {
                "n": int(n),
                "serial": [s for s in ser if s is not None],
                "cold": cold,
                "warm": warm,
                "single": single,
                "cold_serial": paired_ratios(cold, ser),
                "cold_single": paired_ratios(cold, single),
                "warm_serial": paired_ratios(warm, ser),
                "hs_max": max(p[0] for p in per),
                "ex_min": min(p[1] for p in per),
                "ex_max": max(p[1] for p in per),
                "rpc_med": median(p[2] for p in per),
                "rpc_max": max(p[2] for p in per),
                "leases": (rounds[0]["cold_leases"], rounds[0].get("serial_leases")),
                "lab_up": fleet[n].get("lab_up_seconds"),
                "cold_cpu": [r["cold_cpu"][0] for r in rounds if "cold_cpu" in r],
                "cold_self": [r["cold_cpu"][1] for r in rounds if "cold_cpu" in r],
                "cold_kids": [r["cold_cpu"][2] for r in rounds if len(r.get("cold_cpu", ())) > 2],
                "warm_kids": [r["warm_cpu"][2] for r in rounds if len(r.get("warm_cpu", ())) > 2],
                "warm_cpu": [r["warm_cpu"][0] for r in rounds if "warm_cpu" in r],
                "warm_self": [r["warm_cpu"][1] for r in rounds if "warm_cpu" in r],
                "single_cpu": [c[0] for r in rounds for c in r.get("single_cpu", [])],
                "serial_cpu": [r["serial_cpu"] for r in rounds if "serial_cpu" in r],
                "cold_ssh": [r["cold_ssh"] for r in rounds if "cold_ssh" in r],
                "single_ssh": [r["single_max_ssh"] for r in rounds if "single_max_ssh" in r],
                "cold_single_ssh": paired_ratios(
                    [r.get("cold_ssh") for r in rounds], [r.get("single_max_ssh") for r in rounds]
                ),
                "floor_single": paired_ratios(
                    [r["cold_cpu"][0] / cpus if "cold_cpu" in r else None for r in rounds],
                    single,
                ),
            }
        )
    return out


def render(res: dict[str, Any], raw_name: str) -> str:
    meta = res["meta"]
    plan = meta["plan"]
    lines: list[str] = []
    w = lines.append
    w("# tropconsole benchmark results\n")
    w(
        f"`{meta['command'].strip()}` — started {meta['started']}, took "
        f"{meta.get('seconds', 0) / 60:.1f} min; git {meta['git']}; {meta['cpus']} CPUs; "
        f"Python {meta['python']}; load average at start {meta['load_start']}, at end "
        f"{meta.get('load_end', '?')}. {'Quick run. ' if plan['quick'] else ''}"
        f"Raw numbers: `{raw_name}`. Medians of several runs; every ratio is taken run by "
        "run against its own partner (same round), then the median of those ratios.\n"
    )
    if res.get("errors"):
        w("**Errors in this run:**\n")
        for e in res["errors"]:
            w(f"- {e}")
        w("")

    rows = fleet_rows(res.get("fleet", {}), meta["cpus"] or 1)
    by_n = {r["n"]: r for r in rows}
    tgt = by_n.get(TARGET_N)
    table = (res.get("table") or {}).get("table")
    startup = res.get("startup")
    scale = res.get("scale")

    w("## Targets (issue 6)\n")
    w("| Target | Measured | Limit | Result |")
    w("|---|---|---|---|")
    if tgt:
        m = median(tgt["cold_serial"])
        w(
            f"| cold 8-host snapshot / serial shell loop | {ratio(m)} "
            f"({secs(median(tgt['cold']))} vs {secs(median(tgt['serial']))}) | ≤ 0.20 | "
            f"{verdict(m <= 0.20)} |"
        )
        m = median(tgt["cold_single"])
        w(
            f"| cold 8-host snapshot / slowest single host | {ratio(m)} "
            f"({secs(median(tgt['cold']))} vs {secs(median(tgt['single']))}) | ≤ 1.3 | "
            f"{verdict(m <= 1.3)} |"
        )
        m = median(tgt["warm_serial"])
        w(
            f"| warm 8-host refresh / serial shell loop | {ratio(m)} "
            f"({ms(median(tgt['warm']))} vs {secs(median(tgt['serial']))}) | ≤ 0.05 | "
            f"{verdict(m <= 0.05)} |"
        )
    else:
        w("| fleet targets (N=8) | not measured in this run | | n/a |")
    if rows:
        hs = max(r["hs_max"] for r in rows)
        ex_lo, ex_hi = min(r["ex_min"] for r in rows), max(r["ex_max"] for r in rows)
        w(
            f"| new handshakes per host per warm refresh (every N, every host) | max {hs:g} | "
            f"0 | {verdict(hs == 0)} |"
        )
        w(
            f"| SSH execs per host per warm refresh (every N, every host) | {ex_lo:g}-{ex_hi:g} | "
            f"1 | {verdict(ex_lo == ex_hi == 1)} |"
        )
    if table:
        for name, label in VARIANTS.items():
            m = median(table["ratios"][name])
            w(
                f"| 100-cell update of a 10 000-row Leases table / one plain render ({label}) | "
                f"{ratio(m)} ({ms(median(table['update'][name]))} vs "
                f"{ms(median(table['plain']))}) | ≤ 1.2 | {verdict(m <= 1.2)} |"
            )
    if startup and startup.get("headless"):
        m = median(startup["headless"])
        w(
            f"| start-up to first frame, `tropconsole --demo` headless | {ms(m)} | ≤ 400 ms | "
            f"{verdict(m <= 0.4)} |"
        )
    if scale and scale.get("blackholed_summary"):
        b = scale["blackholed_summary"]
        ok_keys = b["painted_max"] <= 2 * FRAME_S and not b["lost"] and not scale.get("aborted")
        w(
            f"| keys answered within one frame, {scale['hosts']} hosts, 10 000 leases, one "
            f"host blackholed: every key painted by the frame after the one it came in "
            f"(key→painted, all {b['keys']} keys) | max {ms(b['painted_max'])}, p95 "
            f"{ms(b['painted_p95'])}, {b['lost']} lost"
            + (", run cut short" if scale.get("aborted") else "")
            + f" | max ≤ {2 * FRAME_S * 1000:.1f} ms (2 frames at 60 fps) | "
            f"{verdict(ok_keys)} |"
        )
        ok = _others_ok(scale)
        w(
            f"| poller keeps refreshing the others within its timeout while one is blackholed | "
            f"{ok['text']} | every poll ≤ timeout + 1 s, {scale['hosts'] - 1} hosts refreshed | "
            f"{verdict(ok['ok'])} |"
        )
    w("")

    if rows:
        w("## Fleet snapshot on the lab\n")
        w(
            "Cold: a new `FleetPoller` to the first snapshot with every host OK (bridges, "
            "networks and leases), in-process (imports not counted). Serial loop: "
            "`ssh -F <lab ssh_config> host 'ip -j -d addr; bridge -j link'`, then "
            "`virsh -c <uri> net-list --all --name` and per network `net-dumpxml` and "
            "`net-dhcp-leases`, host after host. Slowest single host: each host alone, cold, "
            "the slowest of them. Warm: back-to-back `poll()` on the open poller; counters "
            "are per host per refresh (max over hosts, RPCs median).\n"
        )
        w(
            "| N | serial loop | cold | cold/serial | slowest single | cold/slowest | warm "
            "refresh | warm/serial | handshakes | execs | RPCs | leases (poller/loop) |"
        )
        w("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            w(
                f"| {r['n']} | {secs(median(r['serial']))} | {secs(median(r['cold']))} | "
                f"{ratio(median(r['cold_serial']))} | {secs(median(r['single']))} | "
                f"{ratio(median(r['cold_single']))} | {ms(median(r['warm']))} | "
                f"{ratio(median(r['warm_serial']))} | {r['hs_max']:g} | "
                f"{r['ex_min']:g}-{r['ex_max']:g} | {r['rpc_med']:g} (max {r['rpc_max']:g}) | "
                f"{r['leases'][0]}/{r['leases'][1]} |"
            )
        w("")
        cpus = meta["cpus"] or 1
        w(
            "Where the time goes: CPU of the whole machine (every process: this one, the ssh "
            "clients libvirt starts, the lab's sshd and libvirtd, and anything else running) "
            "while each measurement ran, in core-seconds; utilisation = CPU / (wall x "
            f"{cpus} cores).\n"
        )
        w(
            "| N | cold: machine CPU (utilisation) | cold: this process + its ssh clients | "
            "each host alone, cold: machine CPU | warm refresh: machine CPU (utilisation) | "
            "warm: this process + its ssh clients | serial loop: machine CPU (utilisation) |"
        )
        w("|---|---|---|---|---|---|---|")
        for r in rows:
            if not r["cold_cpu"]:
                continue
            cu = median(r["cold_cpu"]) / (median(r["cold"]) * cpus)
            wu = median(r["warm_cpu"]) / (median(r["warm"]) * cpus)
            sc = median(r["serial_cpu"]) if r["serial_cpu"] else math.nan
            su = sc / (median(r["serial"]) * cpus) if r["serial"] else math.nan
            w(
                f"| {r['n']} | {median(r['cold_cpu']):.2f} ({cu * 100:.0f}%) | "
                f"{median(r['cold_self']):.2f} + {median(r['cold_kids']):.2f} | "
                f"{median(r['single_cpu']):.2f} | "
                f"{median(r['warm_cpu']):.3f} ({wu * 100:.0f}%) | "
                f"{median(r['warm_self']):.3f} + {median(r['warm_kids']):.3f} | "
                f"{sc:.2f} ({su * 100:.0f}%) |"
            )
        w("")
        if any(r["cold_ssh"] for r in rows):
            w(
                "libvirt's transport: the default tunnel (libvirt over the host's paramiko "
                'connection) against `libvirt_transport = "ssh"` (libvirt\'s own `qemu+ssh`, '
                "one more OpenSSH connection per host), measured in the same rounds. CPU floor: "
                f"the cold fleet's machine CPU spread over {cpus} cores, the least wall time "
                "that work can take here, where the lab's sshd and libvirtd share the cores "
                "with the console; floor/slowest is the best cold/slowest ratio it allows.\n"
            )
            w(
                "| N | cold, tunnel | cold, qemu+ssh | slowest single, tunnel | slowest single, "
                "qemu+ssh | cold/slowest, tunnel | cold/slowest, qemu+ssh | CPU floor | "
                "floor/slowest |"
            )
            w("|---|---|---|---|---|---|---|---|---|")
            for r in rows:
                if not r["cold_ssh"]:
                    continue
                w(
                    f"| {r['n']} | {secs(median(r['cold']))} | {secs(median(r['cold_ssh']))} | "
                    f"{secs(median(r['single']))} | {secs(median(r['single_ssh']))} | "
                    f"{ratio(median(r['cold_single']))} | "
                    f"{ratio(median(r['cold_single_ssh']))} | "
                    f"{secs(median(r['cold_cpu']) / cpus)} | "
                    f"{ratio(median(r['floor_single']))} |"
                )
            w("")
        w(
            "Rounds per size: "
            + ", ".join(
                f"N={r['n']}: {len(r['cold'])} cold/warm/single, {len(r['serial'])} serial"
                + (f", lab/up {r['lab_up']:.0f} s" if r["lab_up"] else "")
                for r in rows
            )
            + ".\n"
        )

    if table:
        con = (res.get("table") or {}).get("console") or {}
        w("## Table update (headless Textual, 120x36)\n")
        w(
            f"{table['rows']} lease rows from the console's `lease_rows` on a synthetic 16-host "
            f"fleet; each update changes {table['changes']} cells, there and back: "
            "host names made longer (then shorter), or leases moved to shorter addresses "
            "(then back), i.e. cells narrower than the widest in their column. Times are to "
            'the painted frame (two `wait_for_refresh` rounds); "call" is the synchronous call '
            "alone.\n"
        )
        w("| Measurement | median (min-max, n) |")
        w("|---|---|")
        for name, label in VARIANTS.items():
            w(
                f"| keyed update `KeyedTable.apply` → painted, {label} | "
                f"{spread(table['update'][name], ms)} |"
            )
            w(
                f"| keyed update, call only (diff + 100 changed cells), {label} | "
                f"{spread(table['update_sync'][name], ms)} |"
            )
        w(
            f"| plain render: a new `KeyedTable` mounted, given all {table['rows']} rows → "
            f"painted | {spread(table['plain'], ms)} |"
        )
        w(f"| plain render, calls only (mount + `apply`) | {spread(table['plain_sync'], ms)} |")
        if table.get("datatable_plain"):
            w(
                "| reference: Textual `DataTable` (the console's table before), `clear()` + "
                f"{table['rows']} `add_row` + `refresh()` → painted | "
                f"{spread(table['datatable_plain'], ms)} |"
            )
        for name, label in VARIANTS.items():
            w(
                f"| ratio update / plain (pair by pair), {label} | "
                f"{ratio(median(table['ratios'][name]))} |"
            )
        w(f"| `diff_rows` alone on 10 000 rows | {ms(table['diff_only_s'])} |")
        w(f"| `lease_rows` (build + natural sort) of 10 000 leases | {ms(table['row_build_s'])} |")
        w(f"| cursor kept on its row after the updates | {table['cursor_kept']} |")
        if con:
            w(
                f"| whole console: poll → `SnapshotReady` → painted, 100 leases changed | "
                f"{spread(con['update'], ms)} |"
            )
            w(
                f"| whole console: same fleet, clock 5 s later "
                f"({con['clock_5s_changed_cells']} cells change) | "
                f"{spread(con['clock_tick'], ms)} |"
            )
            w(
                f"| whole console: first 10 000-lease snapshot → painted | "
                f"{spread(con['fill'], ms)} |"
            )
        w("")

    if startup:
        w("## Start-up\n")
        w("| Measurement | median (min-max, n) |")
        w("|---|---|")
        w(
            f"| process start → first frame, `tropconsole --demo` headless (`bench/firstframe.py`)"
            f" | {spread(startup['headless'], ms)} |"
        )
        w(
            f"| process start → `DEMO FLEET` on a real pseudo-terminal | "
            f"{spread(startup['terminal'], ms)} |"
        )
        if startup.get("to_app_run"):
            w(
                f"| of which: process start → `App.run` entered (interpreter, imports, demo repo, "
                f"app built) | {spread(startup['to_app_run'], ms)} |"
            )
            w(
                f"| of which: `App.run` → first frame (CSS, compose, mount, layout, render) | "
                f"{spread(startup['app_run_to_frame'], ms)} |"
            )
        if startup.get("bare_textual"):
            w(
                f"| floor: a bare Textual app (one Label), headless, same measurement "
                f"(`bench/floorframe.py`) | {spread(startup['bare_textual'], ms)} |"
            )
        if startup.get("headless_no_poll"):
            w(
                f"| diagnostic: headless with the first poll held back until after frame one | "
                f"{spread(startup['headless_no_poll'], ms)} |"
            )
        loaded = sorted(set(startup.get("loaded_at_first_frame", [])))
        w(f"| heavy modules already imported at the first frame | {', '.join(loaded) or '-'} |")
        w("")
        for key in ("importtime_cli", "importtime_startup"):
            it = startup[key]
            w(
                f"`{it['command']}`: {it['modules']} modules, {ms(it['total_us'] / 1e6)} in all; "
                f"paramiko imported: {it['paramiko']}, libvirt imported: {it['libvirt']}, "
                f"textual imported: {it['textual']}.\n"
            )
            w("| module | cumulative | self |")
            w("|---|---|---|")
            for t in it["top"]:
                w(
                    f"| {'  ' * t['depth']}`{t['module']}` | {t['cumulative_us'] / 1000:.1f} ms | "
                    f"{t['self_us'] / 1000:.1f} ms |"
                )
            w("")

    if scale:
        w(
            f"## Scale: {scale['hosts']} lab hosts, {scale.get('rows', '?')} lease rows, "
            f"{scale['victim']} blackholed\n"
        )
        if scale.get("aborted"):
            w(f"**Run cut short: {scale['aborted']}.** What was measured until then:\n")
        w(
            f"The real poller (timeout {scale['timeout']:g} s) padded with synthetic leases feeds "
            f"the real console (headless, refresh every {scale['interval']:g} s, Leases view, "
            f"Textual's paint timer at {scale.get('textual_fps', '60')} Hz, as the console's). "
            "`down`/`up` keys are sent from another thread (as Textual's input thread does), "
            "each stamped when sent and the next one 100 ms after the previous was painted; "
            "key → handled is the cursor moving, key → painted the next screen refresh after "
            'it. "During a snapshot" / "GC" count keys whose wait overlapped the console\'s '
            "`show_fleet` / a full (generation 2) garbage collection.\n"
        )
        w(
            "| phase | keys | handled p50 / p95 | painted p50 / p95 / p99 / max | ≤ 1 frame | "
            "during a snapshot / GC | painted p95 / max outside both |"
        )
        w("|---|---|---|---|---|---|---|")
        for phase in ("baseline", "blackholed"):
            s = scale.get(f"{phase}_summary")
            if not s:
                continue
            w(
                f"| {phase} | {s['keys']} ({s['lost']} lost) | {ms(s['handled_p50'])} / "
                f"{ms(s['handled_p95'])} | {ms(s['painted_p50'])} / {ms(s['painted_p95'])} / "
                f"{ms(s['painted_p99'])} / {ms(s['painted_max'])} | "
                f"{s['within_1_frame'] * 100:.0f}% | {s['during_snapshot']} / "
                f"{s.get('during_gc', 0)} | "
                f"{ms(s['quiet_painted_p95'])} / {ms(s['quiet_painted_max'])} |"
            )
        w("")
        slow = [
            k
            for phase in ("baseline", "blackholed")
            for k in (scale.get(f"{phase}_summary") or {}).get("slow", [])
        ]
        if slow:
            rows = [k for k in slow if k.get("cpu") == k.get("cpu")]  # NaN: no schedstat
            w(
                f"Keys over two frames: {len(slow)}. Where each one's wait went, from the "
                "kernel's per-thread `schedstat` of the event loop's thread: on a core (the "
                "loop working), runnable with no core free (other processes), and the rest "
                "neither: blocked on the GIL while another thread of the console runs Python "
                "(the poll worker building 10 000 rows, the SSH and tunnel threads), or idle "
                "until Textual's paint timer fires (one to two of its periods after the "
                "previous paint):\n"
            )
            if rows:
                w(
                    "| key → painted | on a core | waiting for a core | neither | meanwhile, "
                    "the console's other threads waiting for a core (summed) |"
                )
                w("|---|---|---|---|---|")
                for k in sorted(rows, key=lambda k: -k["painted"]):
                    rest = k["painted"] - k["cpu"] - k["runq"]
                    others = k.get("others_runq")
                    w(
                        f"| {ms(k['painted'])} | {ms(k['cpu'])} | {ms(k['runq'])} | "
                        f"{ms(max(0.0, rest))} | {ms(others) if others is not None else '—'} |"
                    )
                w("")
        sf = scale.get("show_fleet") or []
        if sf:
            w(
                f"`MainScreen.show_fleet` (on the event loop) per snapshot: "
                f"median {ms(median(sf))}, p95 {ms(pct(sf, 95))}, max {ms(max(sf))} "
                f"over {len(sf)} snapshots.\n"
            )
        gcs = scale.get("gc_full") or []
        if gcs:
            w(
                f"Full garbage collections during the run: {len(gcs)}, median {ms(median(gcs))}, "
                f"max {ms(max(gcs))} (each one stops the event loop)"
                + (
                    f"; {scale['gc_full_while_keys']} of them while keys were being sent.\n"
                    if "gc_full_while_keys" in scale
                    else ".\n"
                )
            )
        w("| polls | n | duration median / max | hosts OK (min) | victim states |")
        w("|---|---|---|---|---|")
        for phase in ("baseline", "blackholed", "after"):
            ps = [p for p in scale.get("polls", []) if p["phase"] == phase]
            if ps:
                d = [p["seconds"] for p in ps]
                states = sorted({p["victim"] for p in ps})
                w(
                    f"| {phase} | {len(ps)} | {secs(median(d))} / {secs(max(d))} | "
                    f"{min(p['ok'] for p in ps)} | {', '.join(states)} |"
                )
        rs = scale.get("refresh_slots")
        if rs:
            w(
                f"\nWarm refreshes ran at most {rs['peak']} at once ({rs['slots']} refresh slots; "
                f"{rs['overflows']} refresh(es) waited out the slot wait and ran "
                "without one).\n"
            )
        if scale.get("show_fleet_unfinished"):
            w(
                f"\n{scale['show_fleet_unfinished']} call(s) of `show_fleet` had not returned "
                "when the run was cut short.\n"
            )
        if "recovered_after" in scale:
            rec = scale["recovered_after"]
            w(
                f"\nWith the console: after the rule was removed, {scale['victim']} was OK "
                f"again after {secs(rec) if rec is not None else 'more than 90 s'}.\n"
            )
        po = scale.get("poller_only")
        if po:
            ps = po["polls"]
            w(
                f"\nThe poller alone (no console), {scale['victim']} blackholed: {len(ps)} "
                f"polls back to back, duration median {secs(median(p['seconds'] for p in ps))}"
                f", max {secs(max(p['seconds'] for p in ps))}; other hosts OK and refreshed in "
                f"each poll: min {min(p['fresh_others'] for p in ps)} of "
                f"{scale['hosts'] - 1}; victim states: "
                f"{', '.join(sorted({str(p['victim']) for p in ps}))}. After the rule was "
                "removed it was OK again after "
                + (
                    secs(po["recovered_after"])
                    if po["recovered_after"] is not None
                    else "more than 90 s (not recovered)"
                )
                + ".\n"
            )
    if res.get("history"):
        from bench.history import report_lines

        lines.extend(report_lines(res["history"]))
    return "\n".join(lines) + "\n"


def _others_ok(scale: dict[str, Any]) -> dict[str, Any]:
    ps = (scale.get("poller_only") or {}).get("polls") or []
    if not ps:
        return {"ok": None, "text": "no poll while blackholed"}
    longest = max(p["seconds"] for p in ps)
    least = min(p["fresh_others"] for p in ps)
    ok = longest <= scale["timeout"] + 1 and least >= scale["hosts"] - 1
    return {
        "ok": ok,
        "text": f"{len(ps)} polls, longest {secs(longest)}, ≥ {least} other hosts OK and "
        "refreshed in each",
    }
