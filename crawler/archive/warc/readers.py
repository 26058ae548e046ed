"""warcio's readers, with the damage they find kept as values instead of written to stderr.

warcio reports two kinds of damage only by writing to `sys.stderr`: a record not followed by
its blank lines (ArchiveIterator, counted in `err_count`) and a compressed stream that fails
part way (BufferedReader._decompress, which then returns no more bytes). These subclasses keep
warcio's reading exactly as it is and store the message where the caller can ask for it, so
reading a damaged WARC never writes to, nor swaps, the process's stderr.
"""

from __future__ import annotations

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader, ChunkedDataReader, DecompressingBufferedReader
from warcio.recordloader import ArcWarcRecord

# warcio's own warning, first line: the reason given for a record with no blank line after it.
UNTERMINATED = ArchiveIterator.INC_RECORD.strip().splitlines()[0]


class _KeepsDecodeError:
    """warcio's _decompress, with a failure after the first block kept in `decode_error`."""

    decode_error = ""

    def _decompress(self, data):
        if not self.decompressor or not data or self.num_block_read == 0:
            # The first block may fail silently: warcio then reads the bytes as not compressed.
            return super()._decompress(data)
        try:
            return self.decompressor.decompress(data)
        except Exception as e:
            self.decode_error = self.decode_error or str(e)
            return b""  # what warcio returns after writing the message


class _FileReader(_KeepsDecodeError, DecompressingBufferedReader):
    pass


class _PayloadReader(_KeepsDecodeError, BufferedReader):
    pass


class _ChunkedPayloadReader(_KeepsDecodeError, ChunkedDataReader):
    pass


class QuietArchiveIterator(ArchiveIterator):
    """ArchiveIterator whose damage is read with `problem()` rather than printed."""

    INC_RECORD = ""  # warcio formats and writes this: an empty write; err_count still counts

    def __init__(self, fileobj, **kwargs):
        super().__init__(fileobj, **kwargs)
        # Nothing is read in __init__: the file's reader can still be swapped for ours.
        self.reader = _FileReader(self.fh, block_size=self.reader.block_size)
        self._seen_errors = 0

    def problem(self) -> str:
        """What warcio would have printed since the last call ("" if nothing)."""
        reason = ""
        if self.reader is not None and self.reader.decode_error:
            reason = self.reader.decode_error
            self.reader.decode_error = ""
        if self.err_count > self._seen_errors:
            reason = reason or UNTERMINATED
            self._seen_errors = self.err_count
        return reason


def content_stream(record: ArcWarcRecord):
    """record.content_stream(), on readers that keep a decoding failure in `decode_error`."""
    # Same choice of reader as ArcWarcRecord.content_stream (warcio 1.8).
    headers = record.http_headers
    if not headers:
        return record.raw_stream
    encoding = (headers.get_header("content-encoding") or "").lower() or None
    if encoding not in BufferedReader.get_supported_decompressors():
        encoding = None
    if headers.get_header("transfer-encoding") == "chunked":
        return _ChunkedPayloadReader(record.raw_stream, decomp_type=encoding)
    if encoding:
        return _PayloadReader(record.raw_stream, decomp_type=encoding)
    return record.raw_stream
