"""An uploaded PDF's text, read within a budget: pages, objects, decompressed bytes, CPU time
and memory.

A PDF of a few kilobytes can hold a stream that inflates to megabytes of drawing operators, or
name one stream from hundreds of pages or hundreds of times from one page: reading its text
would cost seconds of CPU per upload. ``extract_text`` refuses such a file (``PdfTooComplex``,
naming the limit) before extracting anything: it counts the objects and the pages, inflates
each page's content (each stream at most ``max_stream_bytes``, all together at most
``max_content_bytes``), and has pypdf itself stop at the same sizes. A Tracenet SD is one page
of some 6 kB of content and ten objects; the limits are two orders of magnitude above it.

Run as a script (``python -I _pdf_worker.py LIMITS_JSON``) this file is one worker process of
``_pdf_pool.PdfPool``: it imports nothing of Tracenet (a worker starts in a fifth of a second,
not the seconds the indexer's imports take), caps its own address space, lowers its own
priority (nice 10: the API's routes come first on a busy machine), and reads documents
one at a time from stdin, each under a CPU timer (``ITIMER_PROF``) that stops it at
``cpu_seconds`` (a pure-Python reader gets the signal's exception at its next step); the pool
kills it if even that fails. Frames both ways are a 4-byte big-endian
length, then the bytes: a PDF in, a JSON answer out (``{"text"}``, ``{"limit", "max",
"found"}`` or ``{"unreadable"}``, each with the ``cpu`` seconds it took).
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import resource
import signal
import struct
import sys
from dataclasses import dataclass
from types import FrameType
from typing import Any, BinaryIO

__all__ = ["PdfLimits", "PdfTooComplex", "PdfUnreadable", "extract_text"]


@dataclass(frozen=True)
class PdfLimits:
    """What reading one document may cost; the indexer's settings give them
    (``TRACENET_INDEXER_DOCUMENT_*``)."""

    max_pages: int = 8
    max_objects: int = 2_000
    max_stream_bytes: int = 1_048_576  # one stream, inflated
    max_content_bytes: int = 524_288  # every page's content, inflated, as drawn
    cpu_seconds: float = 2.0
    memory_bytes: int = 512 * 1_048_576  # a worker's address space


class PdfUnreadable(ValueError):
    """Not a PDF, or one the reader cannot make sense of."""


class PdfTooComplex(ValueError):
    """Reading the file would pass ``limit`` (``pages``, ``objects``, ``streamBytes``,
    ``contentBytes``, ``contentOperators``, ``structure``, ``cpuSeconds``, ``memoryBytes``)."""

    def __init__(self, limit: str, maximum: float, found: float | None, message: str) -> None:
        super().__init__(message)
        self.limit = limit
        self.maximum = maximum
        self.found = found

    def to_json(self) -> dict[str, Any]:
        return {"limit": self.limit, "max": self.maximum, "found": self.found, "message": str(self)}


class _OverBudget(BaseException):
    """Raised by the CPU timer's signal; a BaseException, so no ``except Exception`` in the
    reader swallows it."""


def _pypdf_limits(limits: PdfLimits) -> dict[str, int]:
    return {
        "zlib_maximum_output_length": limits.max_stream_bytes,
        "lzw_maximum_output_length": limits.max_stream_bytes,
        "run_length_maximum_output_length": limits.max_stream_bytes,
        "brotli_maximum_output_length": limits.max_stream_bytes,
        "jbig2_maximum_output_length": limits.max_stream_bytes,
        "image_maximum_buffer_size": limits.max_stream_bytes,
        "stream_decoding_work_maximum_length": 4 * limits.max_stream_bytes,
        "xmp_maximum_input_length": limits.max_stream_bytes,
        "array_based_stream_maximum_output_length": limits.max_content_bytes,
        "stream_parsing_work_maximum_count": limits.max_content_bytes // 4,
        "xform_maximum_invocations_per_extraction": 64,
        "page_tree_maximum_entries": 4 * limits.max_pages + 16,
        "page_tree_maximum_depth": 16,
        "page_tree_maximum_page_entries": 64 * (limits.max_pages + 1),
    }


def _too_complex(exc: Exception, limits: PdfLimits) -> PdfTooComplex:
    """pypdf's ``LimitReachedError``, named after the limit it met."""
    text = str(exc)
    if "Array-based" in text:
        return PdfTooComplex(
            "contentBytes", limits.max_content_bytes, None,
            f"a page's content inflates to more than {limits.max_content_bytes} bytes",
        )  # fmt: skip
    if "decompress" in text or "decoding" in text:
        return PdfTooComplex(
            "streamBytes", limits.max_stream_bytes, None,
            f"a stream inflates to more than {limits.max_stream_bytes} bytes",
        )  # fmt: skip
    if "page tree" in text.lower():
        return PdfTooComplex(
            "pages", limits.max_pages, None, f"the PDF has more than {limits.max_pages} pages"
        )
    if "tokens" in text or "parsing" in text:
        return PdfTooComplex(
            "contentOperators", limits.max_content_bytes // 4, None,
            "a page draws with more operators than a declaration has",
        )  # fmt: skip
    return PdfTooComplex("structure", 0, None, f"the PDF's structure passes a limit: {text}")


def extract_text(data: bytes, limits: PdfLimits = PdfLimits()) -> str:
    """The text of every page, or ``PdfTooComplex`` / ``PdfUnreadable``."""
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import LimitReachedError

    with apply_configuration(None, **_pypdf_limits(limits)):
        try:
            reader = PdfReader(io.BytesIO(data), xref_stream_maximum_entries=limits.max_objects)
            objects = sum(len(v) for v in reader.xref.values()) + len(reader.xref_objStm)
            if objects > limits.max_objects:
                raise PdfTooComplex(
                    "objects", limits.max_objects, objects,
                    f"the PDF has {objects} objects, more than {limits.max_objects}",
                )  # fmt: skip
            pages = len(reader.pages)
            if pages > limits.max_pages:
                raise PdfTooComplex(
                    "pages", limits.max_pages, pages,
                    f"the PDF has {pages} pages, more than {limits.max_pages}",
                )  # fmt: skip
            total = 0
            for page in reader.pages:
                contents = page.get_contents()
                total += len(contents.get_data()) if contents is not None else 0
                if total > limits.max_content_bytes:
                    raise PdfTooComplex(
                        "contentBytes", limits.max_content_bytes, total,
                        f"the pages' content inflates to more than {limits.max_content_bytes} "
                        "bytes",
                    )  # fmt: skip
            return "\n".join(page.extract_text() or "" for page in reader.pages)
        except PdfTooComplex:
            raise
        except LimitReachedError as exc:
            raise _too_complex(exc, limits) from exc
        except RecursionError as exc:
            raise PdfTooComplex("structure", 0, None, "the PDF's objects nest too deep") from exc
        except MemoryError as exc:
            raise PdfTooComplex(
                "memoryBytes", limits.memory_bytes, None,
                f"reading the PDF needs more than {limits.memory_bytes} bytes of memory",
            ) from exc  # fmt: skip
        except Exception as exc:  # whatever the reader trips on in a hostile file
            raise PdfUnreadable(f"not a readable PDF: {exc}") from exc


# ---- the worker process --------------------------------------------------------------------


def _read_frame(stream: BinaryIO) -> bytes | None:
    head = stream.read(4)
    if len(head) < 4:
        return None
    (size,) = struct.unpack(">I", head)
    return stream.read(size)


def _write_frame(stream: BinaryIO, payload: dict[str, Any]) -> None:
    raw = json.dumps(payload).encode()
    stream.write(struct.pack(">I", len(raw)) + raw)
    stream.flush()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _answer(data: bytes, limits: PdfLimits) -> dict[str, Any]:
    try:
        return {"text": extract_text(data, limits)}
    except PdfTooComplex as exc:
        return exc.to_json()
    except PdfUnreadable as exc:
        return {"unreadable": str(exc)}


def _serve(limits: PdfLimits, stdin: BinaryIO, stdout: BinaryIO) -> None:
    busy = False

    def over_budget(_signum: int, _frame: FrameType | None) -> None:
        nonlocal busy
        if busy:  # once: the timer is one-shot, and a late tick finds the job over
            busy = False
            raise _OverBudget

    def job(data: bytes) -> dict[str, Any]:
        nonlocal busy
        try:
            busy = True
            signal.setitimer(signal.ITIMER_PROF, limits.cpu_seconds)
            try:
                return _answer(data, limits)
            finally:
                signal.setitimer(signal.ITIMER_PROF, 0)
                busy = False
        except _OverBudget:
            return PdfTooComplex(
                "cpuSeconds", limits.cpu_seconds, None,
                f"reading the PDF takes more than {limits.cpu_seconds:g} s of CPU",
            ).to_json()  # fmt: skip

    signal.signal(signal.SIGPROF, over_budget)
    _write_frame(stdout, {"ready": True})
    while (data := _read_frame(stdin)) is not None:
        start = _cpu()
        answer = job(data)
        _write_frame(stdout, {**answer, "cpu": round(_cpu() - start, 4)})


def main(argv: list[str]) -> int:
    limits = PdfLimits(**json.loads(argv[1]))
    memory = limits.memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    os.nice(10)  # the API's own routes come first when the CPUs are busy
    import pypdf  # noqa: F401  (imported before "ready": the first document pays no import)

    _serve(limits, sys.stdin.buffer, sys.stdout.buffer)
    return 0


def limits_argument(limits: PdfLimits) -> str:
    """The command-line argument that hands ``limits`` to a worker."""
    return json.dumps(dataclasses.asdict(limits))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
