"""One function over many items in worker processes, the results in order, a few batches
ahead of the caller: an import splits thousands of texts into sentences on every core
while it writes their files.

Only where processes start by ``fork`` (Linux): a worker is then a copy of this process,
every module already imported, ready in milliseconds.  A worker started afresh (``spawn``,
the default elsewhere) would import the package again and run the main module, which for
``python -m annotator`` is the command line itself.  Elsewhere the caller does the work in
its own process.  The caller must run no other thread while the workers start (a copy
would hold that thread's locks), and Ctrl+C is the caller's to handle: workers ignore it.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Batches under way per process: enough that a worker rarely waits for the caller to take a
# result and hand it more (the caller may be slow for a moment: a file system busy elsewhere).
AHEAD = 4


def cores() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def available() -> bool:
    """Whether ``ordered_map`` can run here at all: fork, and more than one CPU."""
    return sys.platform == "linux" and cores() > 1


def ordered_map(func: Callable[[Sequence[T]], list[R]], items: Sequence[T], *, batch: int,
                processes: int) -> Iterator[R]:
    """``func`` over ``items`` in batches of ``batch``, in ``processes`` worker processes;
    yields each item's result in order.  At most ``AHEAD`` batches per process are under
    way, so results waiting for the caller take little memory.  An exception in ``func`` is
    raised here; leaving early (or an error) stops the workers."""
    batches = (items[i : i + batch] for i in range(0, len(items), batch))
    with multiprocessing.get_context("fork").Pool(processes, initializer=_ignore_interrupts) as pool:
        pending = deque(pool.apply_async(func, (b,)) for b in itertools.islice(batches, AHEAD * processes))
        while pending:
            results = pending.popleft().get()
            for b in batches:  # one more in place of the one done
                pending.append(pool.apply_async(func, (b,)))
                break
            yield from results


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
