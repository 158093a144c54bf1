"""`mlg lease`: who holds the build lease (and since when); `--break` frees a stuck one."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lease", help="show the build lease holder; --break frees a lease whose holder is gone")
    p.add_argument("--break", dest="break_it", action="store_true",
                   help="end the current lease now (its holder, if still running, stops at its next stage)")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    import time

    from spark_jobs import lease
    from spark_jobs.config import Settings

    settings = Settings.load()
    store = lease.store_for(settings)
    if args.break_it:
        broken = lease.break_lease(settings)
        print(f"broke the build lease of {broken.describe()}" if broken else "no build lease is held")
        return 0
    holder = lease.current(store)
    now = time.time()
    if holder is None or holder.released:
        print(f"free ({store.location})")
    else:
        why = holder.free(now, lease.socket.gethostname())
        state = f"free to take over ({why})" if why else "held"
        print(f"{state}: {holder.describe(now)}")
    return 0
