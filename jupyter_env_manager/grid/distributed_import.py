"""Bringing `distributed` into a grid's coordinating process, cheaply and quietly.

Importing distributed is the largest step between a CLI grid's start and its first
run (about 0.3 s for distributed 2026.8 on two cores), and the coordinator uses
little of what it loads:

- numpy (0.08 s): distributed imports it only to allocate receive buffers without
  zeroing them (`distributed.protocol.utils.host_array`); a grid's messages are a
  notebook and a few metrics, so a zeroed `bytearray` costs nothing measurable.
  numpy's serializers register lazily, on the first array sent, and import it then.
- jinja2 (0.02 s): dask imports it for the HTML views of clusters, clients and
  futures (`_repr_html_`), which only a notebook shows; without it those views raise
  ImportError, in this process only.
- Dask's YAML defaults are parsed by PyYAML's pure-Python loader; libyaml's parser
  builds the same values (the constructor is shared) in a tenth of the time.

- The garbage collector: the imports up to here (jupyter_client, nbformat, then
  distributed) make most of the process's objects, and collections during them walked
  those objects again and again (about 45 ms of a 12-point grid's 0.7 s, with
  `gc.callbacks`). The CLI pauses the collector from its start; the lean import then
  freezes every object made so far (`gc.freeze()`: they live as long as the process,
  and later collections skip them) and turns the collector back on for the runs.

The first three hold only while `distributed` is first imported, and only when asked
(`lean`): numpy and jinja2 stay importable afterwards, a process that already holds
distributed imports nothing, and PyYAML's `safe_load` is given back. The CLI asks; a
server or a notebook does not, as another of its threads could import numpy in that
window and fail, and freezing would keep a long-lived process's garbage for good.
"""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

#: Optional imports of distributed that a grid's coordinator never uses.
UNUSED_OPTIONAL_MODULES = ("numpy", "jinja2")


def import_distributed(*, lean: bool = False) -> None:
    if not lean:
        import distributed  # noqa: F401
    else:
        with _collector_paused_then_frozen():
            if "distributed" not in sys.modules:
                with _without_unused_modules(), _libyaml_safe_load():
                    import distributed  # noqa: F401
    logging.getLogger("distributed.batched").addFilter(_CLOSED_COMM_NOTICE)


@contextmanager
def _collector_paused_then_frozen() -> Iterator[None]:
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


@contextmanager
def _without_unused_modules() -> Iterator[None]:
    hidden = [name for name in UNUSED_OPTIONAL_MODULES if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # import raises ImportError
    try:
        yield
    finally:
        for name in hidden:
            if sys.modules.get(name, ...) is None:
                del sys.modules[name]


@contextmanager
def _libyaml_safe_load() -> Iterator[None]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", None)
    if loader is None:  # PyYAML built without libyaml
        yield
        return
    pure = yaml.safe_load
    yaml.safe_load = lambda stream: yaml.load(stream, Loader=loader)  # noqa: S506 - safe loader
    try:
        yield
    finally:
        yaml.safe_load = pure


class _ClosedCommNotice(logging.Filter):
    """Drops distributed's "Batched Comm Closed" notice.

    A send still queued when the cluster closes fails once the loop runs it, often
    after the grid has returned; distributed then logs the closed connection at INFO
    with a traceback, which its own console handler prints under a finished grid's
    progress as if the grid had failed. Lost workers are reported by the grid itself.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Batched Comm Closed")


_CLOSED_COMM_NOTICE = _ClosedCommNotice()
