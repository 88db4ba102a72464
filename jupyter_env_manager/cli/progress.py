"""Show progress events: one redrawn bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import shutil
import sys
from typing import TextIO

from ..core.models import ProgressEvent


class ProgressPrinter:
    def __init__(self, stream: TextIO | None = None, *, interactive: bool | None = None):
        # sys.stderr as it is now, not as it was when this module was imported (the
        # CLI imports it only once a command needs it; a test may have swapped it).
        stream = sys.stderr if stream is None else stream
        self.stream = stream
        self.interactive = stream.isatty() if interactive is None else interactive
        self._drawn = False

    def __call__(self, event: ProgressEvent) -> None:
        if self.interactive:
            self._draw(event)
        else:
            percent = f" {event.fraction * 100:3.0f}%" if event.fraction is not None else ""
            text = event.message or event.package or ""
            print(f"[{event.stage}]{percent} {text}".rstrip(), file=self.stream, flush=True)

    def _draw(self, event: ProgressEvent) -> None:
        width = shutil.get_terminal_size((80, 20)).columns
        bar = ""
        if event.fraction is not None:
            filled = int(20 * max(0.0, min(1.0, event.fraction)))
            bar = f"[{'#' * filled}{'.' * (20 - filled)}] {event.fraction * 100:3.0f}% "
        text = f"{event.stage}: {bar}{event.message or event.package or ''}"
        self.stream.write("\r" + text[: width - 1].ljust(width - 1))
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False
