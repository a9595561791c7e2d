"""Hostile PDFs, raw bytes: small files whose streams inflate to megabytes of text operators,
pages sharing one big stream, a ``/Contents`` array repeating an inflating stream, a file with
more objects than any SD. Each is a valid PDF a reader accepts; what makes it hostile is the
work reading it asks for. Shared by the tests and ``benchmarks/hostile_pdf.py``."""

from __future__ import annotations

import zlib

__all__ = ["HOSTILE", "bomb", "many_objects", "many_pages", "pdf", "repeated_contents", "shared"]

#: One line of a content stream that draws text, as an SD's do.
_LINE = b"BT /F1 8 Tf 40 700 Td (Quantity: 4000000 g) Tj ET\n"


def pdf(objects: list[bytes]) -> bytes:
    """A PDF of ``objects`` (object 1 is the catalog), with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _stream(data: bytes) -> bytes:
    packed = zlib.compress(data, 9)
    return (
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + (b"\nendstream")
    )


def _document(pages: int, contents: bytes, stream: bytes) -> bytes:
    """Catalog (1), page tree (2), font (3), the stream (4), then ``pages`` pages whose
    ``/Contents`` is ``contents`` (references to object 4)."""
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        stream,
    ]
    objects += [
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 3 0 R >> >> /Contents %s >>" % contents
    ] * pages
    return pdf(objects)


def bomb(inflated: int = 5_000_000) -> bytes:
    """One page, one stream of some kilobytes that inflates to ``inflated`` bytes of text."""
    return _document(1, b"4 0 R", _stream(_LINE * (inflated // len(_LINE))))


def shared(pages: int = 8, inflated: int = 500_000) -> bytes:
    """``pages`` pages drawing the same ``inflated``-byte stream."""
    return _document(pages, b"4 0 R", _stream(_LINE * (inflated // len(_LINE))))


def many_pages(pages: int = 400) -> bytes:
    """``pages`` pages of one short line each (the stream shared)."""
    return _document(pages, b"4 0 R", _stream(_LINE))


def repeated_contents(times: int = 200, inflated: int = 400_000) -> bytes:
    """One page whose ``/Contents`` array names the same inflating stream ``times`` times."""
    array = b"[" + b" ".join([b"4 0 R"] * times) + b"]"
    return _document(1, array, _stream(_LINE * (inflated // len(_LINE))))


def many_objects(count: int = 20_000) -> bytes:
    """A one-page document carrying ``count`` unused objects besides."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        _stream(_LINE),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>",
    ]
    return pdf(objects + [b"[%d]" % i for i in range(count)])


#: name → the file, as the tests and the benchmark send them.
HOSTILE = {
    "bomb-5MB": bomb,
    "8-pages-sharing-500kB": shared,
    "400-pages": many_pages,
    "contents-array-repeated": repeated_contents,
    "20000-objects": many_objects,
}
