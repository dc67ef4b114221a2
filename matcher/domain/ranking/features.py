"""Vectorised features: text analysis, TF-IDF, unit vectors and small array helpers.

Tokenising a million descriptions word by word in Python is too slow for the 10 s fit budget
(scikit-learn's CountVectorizer took about 11 s on the two-core benchmark machine), so
`TextAnalyser.analyse_many` tokenises whole chunks of text with numpy: it joins the texts,
maps ASCII non-letters to spaces, finds word boundaries on the bytes, hashes each word from
unaligned 64-bit reads and only then goes back to Python, once per *distinct* word, for
stemming. Its output is identical to `analyse_one` (plain Python, used for single texts).
Weighting uses scikit-learn's `TfidfTransformer` (sublinear tf, smooth idf, l2 norm).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfTransformer

from ..interests import (
    WORD_PATTERN,
    Taxonomy,
    is_stop_stem,
    mask_to_words,
    stem,
    stem_many,
    words,
)

try:  # one sphere for the whole application, so distances agree everywhere
    from ..geo import EARTH_RADIUS_KM
except ImportError:  # pragma: no cover - geo.py is part of the project
    EARTH_RADIUS_KM = 6371.0088


# ---------------------------------------------------------------------------------- geometry
def unit_vectors(lat, lon) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """3-D unit vectors for latitudes and longitudes in degrees."""
    la = np.radians(np.asarray(lat, dtype=np.float64))
    lo = np.radians(np.asarray(lon, dtype=np.float64))
    c = np.cos(la)
    return c * np.cos(lo), c * np.sin(lo), np.sin(la)


def chord2_for_km(km):
    """Squared chord length on the unit sphere for a great-circle distance in km."""
    angle = np.minimum(np.asarray(km, dtype=np.float64) / EARTH_RADIUS_KM, np.pi)
    return (2.0 * np.sin(angle / 2.0)) ** 2


def km_for_chord2(chord2):
    """Great-circle distance in km for squared chord lengths (exact, like haversine).

    ``arcsin`` is slow, so below 0.01 (about 127 km) its Taylor series is used, which agrees
    to double precision there (the first omitted term is below 1e-17 relative).
    """
    half = np.sqrt(np.clip(chord2, 0.0, 4.0)) * 0.5
    h2 = half * half
    angle = half * (1.0 + h2 * (1.0 / 6.0 + h2 * (3.0 / 40.0 + h2 * (15.0 / 336.0))))
    far = half > 0.01
    if np.any(far):
        angle = np.where(far, np.arcsin(np.minimum(half, 1.0)), angle)
    return 2.0 * EARTH_RADIUS_KM * angle


# ------------------------------------------------------------------------------ array helpers
def gather_ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenate ``arange(s, s + n)`` for each start and length, without a Python loop."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(starts - offsets, lengths) + np.arange(total, dtype=np.int64)


def encode_blob(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Many strings as one UTF-8 byte array plus offsets (no per-string Python objects)."""
    if not texts:
        return np.zeros(0, np.uint8), np.zeros(1, np.int64)
    joined = "\x00".join(texts)
    if joined.count("\x00") != len(texts) - 1:
        joined = "\x00".join(t.replace("\x00", " ") for t in texts)
    data = np.frombuffer(joined.encode("utf-8", "replace"), dtype=np.uint8)
    seps = np.flatnonzero(data == 0)
    keep = np.ones(len(data), dtype=bool)
    keep[seps] = False
    # Offsets into the packed bytes: each separator shifts later strings back by one.
    starts = np.concatenate(([0], seps + 1 - np.arange(1, len(seps) + 1)))
    ends = np.append(starts[1:], len(data) - len(seps))
    return data[keep], np.append(starts, ends[-1]).astype(np.int64)


def decode_blob(blob: np.ndarray, offsets: np.ndarray, index: int) -> str:
    """One string from `encode_blob` output."""
    return bytes(blob[offsets[index]:offsets[index + 1]]).decode("utf-8", "replace")


def take_blob(blob: np.ndarray, offsets: np.ndarray, index: np.ndarray):
    """Subset of a blob, keeping order of ``index``."""
    index = np.asarray(index, dtype=np.int64)
    lengths = offsets[index + 1] - offsets[index]
    new_blob = blob[gather_ranges(offsets[index], lengths)]
    return new_blob, np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)


# ------------------------------------------------------------------------------ text analysis
def _byte_table() -> bytes:
    table = bytearray(range(256))
    for c in range(128):
        if not chr(c).isalpha():
            table[c] = 32
    table[0] = 0  # the separator between texts survives
    return bytes(table)


_BYTE_TABLE = _byte_table()
_MASKS = np.array([(1 << (8 * i)) - 1 for i in range(8)] + [(1 << 64) - 1], dtype=np.uint64)
_K1 = np.uint64(0x9E3779B97F4A7C15)
_K2 = np.uint64(0xC2B2AE3D27D4EB4F)
_K3 = np.uint64(0x165667B19E3779F9)
_PHRASE_MUL = np.uint64(0x100000001B3)


def _inverse(uniq: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Index of each value in the sorted unique array ``uniq``.

    A multiplicative hash table answers most look-ups with one gather, which is several times
    faster than binary search; values whose slot is shared fall back to `np.searchsorted`.
    """
    bits = max(10, int(np.ceil(np.log2(len(uniq) * 16))))
    shift = np.uint64(64 - bits)
    with np.errstate(over="ignore"):
        slot_u = (uniq * _K1) >> shift
        slot_v = (values * _K1) >> shift
    slot_u = slot_u.view(np.int64)  # slots are below 2**bits, so the bits read the same
    slot_v = slot_v.view(np.int64)
    owners = np.bincount(slot_u, minlength=1 << bits)
    alone = owners[slot_u] == 1
    table = np.full(1 << bits, -1, dtype=np.int64)
    table[slot_u[alone]] = np.flatnonzero(alone)
    inv = table[slot_v]
    shared = np.flatnonzero(inv < 0)
    if len(shared):
        inv[shared] = np.searchsorted(uniq, values[shared])
    return inv


class _Growable:
    """An append-only numpy array (of rows of ``width`` when given) with amortised growth."""

    def __init__(self, dtype, fill=0, width=None):
        self._row = () if width is None else (width,)
        self._data = np.full((64, *self._row), fill, dtype=dtype)
        self._fill = fill
        self.size = 0

    def append(self, values):
        values = np.asarray(values, dtype=self._data.dtype)
        need = self.size + len(values)
        if need > len(self._data):
            grown = np.full((max(need, 2 * len(self._data)), *self._row), self._fill,
                            dtype=self._data.dtype)
            grown[: self.size] = self._data[: self.size]
            self._data = grown
        self._data[self.size:need] = values
        self.size = need

    @property
    def view(self) -> np.ndarray:
        return self._data[: self.size]


class TextAnalyser:
    """Words -> stems -> (stem id, count) pairs, taxonomy category masks and concept masks
    (``concept_words`` 64-bit words a text), for one or many texts.

    Stem ids are assigned as stems are first seen and never change, so results of different
    calls can be combined.
    """

    def __init__(self, taxonomy: Taxonomy):
        self.taxonomy = taxonomy
        self.concept_words = taxonomy.concept_words
        self._stem_ids: dict[str, int] = {}
        self.stems: list[str] = []
        self._stem_bits = _Growable(np.uint64)
        self._stem_concepts = _Growable(np.uint64, width=self.concept_words)
        self._stem_stop = _Growable(bool)
        self._phrase_first = _Growable(bool)
        self._word_ids: dict[int, int] = {}
        self._word_stem = _Growable(np.int64, -1)  # single-stem words
        self._word_npieces = _Growable(np.int64)
        self._word_pstart = _Growable(np.int64)
        self._pieces = _Growable(np.int64)
        for s, mask in taxonomy.unigram_masks.items():
            sid = self.stem_id(s)
            self._stem_bits.view[sid] |= np.uint64(mask)
        for s, mask in taxonomy.concept_unigram_masks.items():
            sid = self.stem_id(s)
            self._stem_concepts.view[sid] = mask_to_words(mask, self.concept_words)
        concept_phrases = taxonomy.concept_phrase_masks
        self._phrases: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        by_length: dict[int, list[tuple[tuple[int, ...], int, int]]] = {}
        for phrase, mask in taxonomy.phrase_masks.items():
            ids = tuple(self.stem_id(s) for s in phrase)
            by_length.setdefault(len(ids), []).append((ids, mask, concept_phrases.get(phrase, 0)))
            self._phrase_first.view[ids[0]] = True
        for length, items in by_length.items():
            codes = np.array([self._phrase_code(ids) for ids, _, _ in items], dtype=np.uint64)
            masks = np.array([m for _, m, _ in items], dtype=np.uint64)
            concepts = np.array([mask_to_words(c, self.concept_words) for _, _, c in items],
                                dtype=np.uint64).reshape(len(items), self.concept_words)
            order = np.argsort(codes)
            self._phrases[length] = (codes[order], masks[order], concepts[order])
        self._unigram_by_stem = {self._stem_ids[s]: m for s, m in taxonomy.unigram_masks.items()}
        self._phrase_by_ids = {
            tuple(self._stem_ids[s] for s in p): m for p, m in taxonomy.phrase_masks.items()
        }
        self._phrase_lengths = sorted(self._phrases)

    @staticmethod
    def _phrase_code(ids) -> int:
        code = np.uint64(0)
        with np.errstate(over="ignore"):
            for i in ids:
                code = code * _PHRASE_MUL + np.uint64(i + 1)
        return int(code)

    # vocabulary ---------------------------------------------------------------------------
    def stem_id(self, s: str) -> int:
        """Id of a stem, assigning a new one if needed."""
        sid = self._stem_ids.get(s)
        if sid is None:
            sid = self._stem_ids[s] = len(self.stems)
            self.stems.append(s)
            self._stem_bits.append([0])
            self._stem_concepts.append(np.zeros((1, self.concept_words), np.uint64))
            self._stem_stop.append([is_stop_stem(s)])
            self._phrase_first.append([False])
        return sid

    def known_stem_id(self, s: str) -> int | None:
        """Id of a stem if it has been seen."""
        return self._stem_ids.get(s)

    @property
    def stem_is_stop(self) -> np.ndarray:
        """Per stem id: True for stop words."""
        return self._stem_stop.view

    def _add_words(self, new_words: list[str]) -> np.ndarray:
        """Register words (as written, lower-cased); returns their word ids."""
        split = [WORD_PATTERN.findall(word) for word in new_words]
        flat = [piece for pieces in split for piece in pieces]
        stem_ids = [self.stem_id(s) for s in stem_many(flat)]
        npieces = np.array([len(pieces) for pieces in split], dtype=np.int64)
        first = self._word_npieces.size
        self._word_pstart.append(self._pieces.size + np.cumsum(npieces) - npieces)
        self._word_npieces.append(npieces)
        self._pieces.append(stem_ids)
        single = np.full(len(new_words), -1, dtype=np.int64)
        ones = np.flatnonzero(npieces == 1)
        single[ones] = np.asarray(stem_ids, dtype=np.int64)[(np.cumsum(npieces) - 1)[ones]]
        self._word_stem.append(single)
        return np.arange(first, first + len(new_words), dtype=np.int64)

    # one text -----------------------------------------------------------------------------
    def analyse_one(self, text: str, with_concepts: bool = False):
        """Counts of non-stop stem ids and the taxonomy mask of one text (and with
        ``with_concepts`` its concept mask, an integer, as a third value)."""
        ids = [self.stem_id(stem(w)) for w in words(text)]
        mask = 0
        stop = self._stem_stop.view
        counts: dict[int, int] = {}
        n = len(ids)
        for i, sid in enumerate(ids):
            mask |= self._unigram_by_stem.get(sid, 0)
            if self._phrase_first.view[sid]:
                for length in self._phrase_lengths:
                    if i + length <= n:
                        mask |= self._phrase_by_ids.get(tuple(ids[i:i + length]), 0)
            if not stop[sid]:
                counts[sid] = counts.get(sid, 0) + 1
        if with_concepts:
            return counts, mask, self.taxonomy.concept_mask(text)
        return counts, mask

    # many texts ---------------------------------------------------------------------------
    def analyse_many(self, texts: Sequence[str], chunk_size: int = 25_000,
                     with_concepts: bool = False):
        """Analyse many texts at once.

        Returns ``(rows, stem_ids, counts, masks)``: for each text (row) and non-stop stem,
        the number of occurrences, sorted by row then stem id; and each text's taxonomy mask.
        With ``with_concepts`` a fifth value: the concept masks, ``(len(texts),
        concept_words)`` unsigned 64-bit words.
        """
        n = len(texts)
        masks = np.zeros(n, dtype=np.uint64)
        concepts = np.zeros((n, self.concept_words), dtype=np.uint64) if with_concepts else None
        rows, stem_ids, counts = [], [], []
        for c0 in range(0, n, chunk_size):
            chunk = texts[c0:c0 + chunk_size]
            doc, sid = self._tokenise(chunk)
            self._masks_into(doc, sid, masks[c0:c0 + len(chunk)],
                             None if concepts is None else concepts[c0:c0 + len(chunk)])
            keep = ~self._stem_stop.view[sid]
            doc, sid = doc[keep], sid[keep]
            if len(doc):
                key = np.sort((doc << 32) | sid)
                first = np.empty(len(key), dtype=bool)
                first[0] = True
                np.not_equal(key[1:], key[:-1], out=first[1:])
                starts = np.flatnonzero(first)
                ukey = key[starts]
                # 32-bit outputs: a million texts make tens of millions of pairs.
                rows.append(((ukey >> 32) + c0).astype(np.int32))
                stem_ids.append((ukey & 0xFFFFFFFF).astype(np.int32))
                counts.append(np.diff(np.append(starts, len(key))).astype(np.int32))
        extra = () if concepts is None else (concepts,)
        if rows:
            return (np.concatenate(rows), np.concatenate(stem_ids), np.concatenate(counts), masks,
                    *extra)
        empty = np.zeros(0, dtype=np.int64)
        return (empty, empty.copy(), empty.copy(), masks, *extra)

    def _tokenise(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(text index, stem id) for every word of every text, in text order."""
        joined = "\x00".join(texts)
        if joined.count("\x00") != len(texts) - 1:
            joined = "\x00".join(t.replace("\x00", " ") for t in texts)
        raw = joined.lower().encode("utf-8", "replace").translate(_BYTE_TABLE) + b"\x00" * 32
        b = np.frombuffer(raw, dtype=np.uint8)
        letter = (b > 32).view(np.int8)
        edges = np.diff(letter, prepend=np.int8(0))
        starts = np.flatnonzero(edges == 1)
        if len(starts) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        ends = np.flatnonzero(edges == -1)
        lengths = ends - starts
        # Unaligned little-endian 64-bit reads at every byte offset; the 32 bytes of padding
        # keep reads of the last words inside the buffer.
        w = np.ndarray(shape=(len(b) - 7,), dtype="<u8", buffer=raw, offset=0, strides=(1,))
        h = w[starts] & _MASKS[np.minimum(lengths, 8)]
        long_words = np.flatnonzero(lengths > 8)
        if len(long_words):
            s, ln = starts[long_words], lengths[long_words]
            with np.errstate(over="ignore"):
                h1 = w[s + 8] & _MASKS[np.clip(ln - 8, 0, 8)]
                h2 = w[s + 16] & _MASKS[np.clip(ln - 16, 0, 8)]
                h3 = w[s + 24] & _MASKS[np.clip(ln - 24, 0, 8)]
                h[long_words] = ((h[long_words] * _K1) ^ (h1 * _K2) ^ (h2 * _K3) ^ h3
                                 ^ (ln.astype(np.uint64) << np.uint64(56)))
            # Words over 32 bytes are told apart by their first 32 bytes and length only;
            # a rare collision would merely give a very long word another's stem.
        # Words per text from where each separator falls among the word starts.
        seps = np.flatnonzero(b[: len(b) - 32] == 0)
        bounds = np.concatenate(([0], np.searchsorted(starts, seps), [len(starts)]))
        doc = np.repeat(np.arange(len(texts), dtype=np.int64), np.diff(bounds))
        uniq = np.sort(h)
        keep = np.empty(len(uniq), dtype=bool)
        keep[0] = True
        np.not_equal(uniq[1:], uniq[:-1], out=keep[1:])
        uniq = uniq[keep]
        inv = _inverse(uniq, h)
        gid = np.fromiter((self._word_ids.get(x, -1) for x in uniq.tolist()),
                          dtype=np.int64, count=len(uniq))
        new = np.flatnonzero(gid < 0)
        if len(new):
            occurrence = np.empty(len(uniq), dtype=np.int64)
            occurrence[inv] = np.arange(len(h))
            at = occurrence[new]
            found = [raw[s:e].decode("utf-8", "replace")
                     for s, e in zip(starts[at].tolist(), ends[at].tolist(), strict=True)]
            gid[new] = self._add_words(found)
            self._word_ids.update(zip(uniq[new].tolist(), gid[new].tolist(), strict=True))
        word = gid[inv]
        sid = self._word_stem.view[word]
        if (sid < 0).any():
            npieces = self._word_npieces.view[word]
            pstart = self._word_pstart.view[word]
            doc = np.repeat(doc, npieces)
            sid = self._pieces.view[gather_ranges(pstart, npieces)]
        return doc.astype(np.int64, copy=False), sid.astype(np.int64, copy=False)

    def _masks_into(self, doc: np.ndarray, sid: np.ndarray, out: np.ndarray,
                    concepts: np.ndarray | None = None) -> None:
        if len(sid) == 0:
            return
        bits = self._stem_bits.view[sid]
        hit = np.flatnonzero(bits)
        if len(hit):
            np.bitwise_or.at(out, doc[hit], bits[hit])
        first = np.flatnonzero(self._phrase_first.view[sid])
        n = len(sid)
        covered = np.zeros(n, dtype=bool) if concepts is not None else None
        for length in self._phrase_lengths:
            pos = first[first + length <= n]
            if len(pos) == 0:
                continue
            pos = pos[doc[pos + length - 1] == doc[pos]]
            code = np.zeros(len(pos), dtype=np.uint64)
            with np.errstate(over="ignore"):
                for j in range(length):
                    code = code * _PHRASE_MUL + (sid[pos + j] + 1).astype(np.uint64)
            codes, phrase_masks, phrase_concepts = self._phrases[length]
            at = np.minimum(np.searchsorted(codes, code), len(codes) - 1)
            found = codes[at] == code
            if found.any():
                np.bitwise_or.at(out, doc[pos[found]], phrase_masks[at[found]])
                if concepts is not None:
                    np.bitwise_or.at(concepts, doc[pos[found]], phrase_concepts[at[found]])
                    for j in range(length):
                        covered[pos[found] + j] = True
        if concepts is not None:
            # A word inside a phrase found counts only as part of it (as in
            # `Taxonomy.concept_mask`): "male voice choir" is not any choir as well.
            cbits = self._stem_concepts.view[sid]
            hit = np.flatnonzero(cbits.any(axis=1) & ~covered)
            if len(hit):
                np.bitwise_or.at(concepts, doc[hit], cbits[hit])


class TfidfIndex:
    """The TF-IDF vocabulary (stems as columns) and scikit-learn weighting, fitted on partners."""

    def __init__(self, analyser: TextAnalyser):
        self.analyser = analyser
        self.columns: list[str] = []
        self.col_of_stem = np.zeros(0, dtype=np.int64)
        self.transformer = TfidfTransformer(sublinear_tf=True)

    def fit_transform(self, rows, stem_ids, counts, n_rows: int) -> sp.csr_matrix:
        """Choose columns (every non-stop stem seen, alphabetical) and weight the counts."""
        used = np.flatnonzero(np.bincount(np.asarray(stem_ids, dtype=np.int64)))
        names = [self.analyser.stems[i] for i in used.tolist()]
        order = np.argsort(np.array(names, dtype=object)) if names else np.zeros(0, np.int64)
        self.columns = [names[i] for i in order.tolist()]
        self._rebuild_lookup()
        counts_matrix = self._counts_matrix(rows, stem_ids, counts, n_rows)
        if not self.columns or n_rows == 0:  # nothing to learn (scikit-learn would refuse)
            self.transformer.idf_ = np.ones(len(self.columns), dtype=np.float64)
            return counts_matrix.astype(np.float32)
        weighted = self.transformer.fit_transform(counts_matrix)
        return weighted.astype(np.float32, copy=False).tocsr()

    def _rebuild_lookup(self):
        size = len(self.analyser.stems)
        self.col_of_stem = np.full(size, -1, dtype=np.int32)
        for col, name in enumerate(self.columns):
            if not name:  # a forgotten word: its column stays, matched by no text
                continue
            sid = self.analyser.stem_id(name)
            if sid >= len(self.col_of_stem):
                grown = np.full(sid + 1, -1, dtype=np.int32)
                grown[: len(self.col_of_stem)] = self.col_of_stem
                self.col_of_stem = grown
            self.col_of_stem[sid] = col

    def _cols(self, stem_ids: np.ndarray) -> np.ndarray:
        size = len(self.analyser.stems)
        if size > len(self.col_of_stem):  # stems first seen after fitting have no column
            grown = np.full(size, -1, dtype=np.int32)
            grown[: len(self.col_of_stem)] = self.col_of_stem
            self.col_of_stem = grown
        return self.col_of_stem[stem_ids]

    def _counts_matrix(self, rows, stem_ids, counts, n_rows) -> sp.csr_matrix:
        # Rows arrive sorted with one entry per (row, stem), so CSR can be built directly.
        cols = self._cols(np.asarray(stem_ids))
        rows = np.asarray(rows)
        counts = np.asarray(counts, dtype=np.float32)
        if len(cols) and cols.min() < 0:
            keep = cols >= 0
            rows, cols, counts = rows[keep], cols[keep], counts[keep]
        indptr = np.searchsorted(rows, np.arange(n_rows + 1)).astype(np.int64)
        return sp.csr_matrix((counts, cols, indptr), shape=(n_rows, len(self.columns)))

    def forget_unused(self, used: np.ndarray) -> int:
        """Blank the words of the columns not in ``used`` (no partner's text has them any
        more, e.g. a withdrawn group's description): a saved index must not keep a word
        only an erased text held. Columns keep their places and idf, so stored rows stay
        valid; a text with such a word scores as if it had never been seen, as after a
        refit. Returns how many words were forgotten."""
        keep = np.zeros(len(self.columns), dtype=bool)
        keep[np.asarray(used, dtype=np.int64)] = True
        gone = [col for col, name in enumerate(self.columns) if name and not keep[col]]
        if gone:
            for col in gone:
                self.columns[col] = ""
            self._rebuild_lookup()
        return len(gone)

    def transform_many(self, rows, stem_ids, counts, n_rows: int) -> sp.csr_matrix:
        """Weighted, l2-normalised rows for analysed texts (unknown stems are dropped)."""
        if not self.columns:
            return sp.csr_matrix((n_rows, 0), dtype=np.float32)
        matrix = self._counts_matrix(rows, stem_ids, counts, n_rows)
        return self.transformer.transform(matrix).astype(np.float32, copy=False).tocsr()

    def column_of_stem(self, stem_id: int | None) -> int:
        """TF-IDF column of a stem id, or -1."""
        if stem_id is None or stem_id >= len(self.col_of_stem):
            return -1
        return int(self.col_of_stem[stem_id])

    def transform_one(self, counts: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """(columns, weights) of one analysed text, l2-normalised, columns ascending.

        Same formula as `TfidfTransformer`: (1 + log tf) * idf, then l2 normalisation.
        """
        if not counts or not self.columns:
            return np.zeros(0, np.int64), np.zeros(0, np.float64)
        sids = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        cols = self._cols(sids)
        keep = cols >= 0
        cols, tf = cols[keep], tf[keep]
        if len(cols) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float64)
        weights = (1.0 + np.log(tf)) * self.transformer.idf_[cols]
        weights /= np.sqrt((weights**2).sum())
        order = np.argsort(cols)
        return cols[order], weights[order]

    @property
    def idf(self) -> np.ndarray:
        """Inverse document frequencies by column."""
        return self.transformer.idf_

    def restore(self, columns: list[str], idf: np.ndarray) -> None:
        """Reinstate a saved vocabulary and idf."""
        self.columns = list(columns)
        self.transformer = TfidfTransformer(sublinear_tf=True)
        self.transformer.idf_ = np.asarray(idf, dtype=np.float64)
        self._rebuild_lookup()
