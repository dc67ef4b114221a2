"""Saving and loading a fitted ranking index (a directory of ``.npy`` files and ``meta.json``).

Arrays are plain ``.npy`` files so `load` can memory-map them; the vocabulary, labels,
taxonomy and parameters go in ``meta.json``. The weights saved are only the estimator's
parameter: whoever loads an index passes the weights it is configured with (see
`Ranker.load`), so a saved index never decides how matches are scored.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..interests import Taxonomy
from .components import resolve_weights
from .features import TextAnalyser, TfidfIndex
from .grid import ALIVE, SEGMENT_ARRAYS, Segment

FORMAT_VERSION = 5  # 4: safeguarding checks; 5: partners' concept masks (interest coverage)


def save(ranker, path: str | Path) -> Path:
    """Write the fitted index of ``ranker`` to a directory (pending updates merged first)."""
    if ranker.delta_ is not None or not bool((ranker.main_.flags & ALIVE).all()):
        ranker.compact()
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    seg = ranker.main_
    # Only the words partners still use are written (erased texts leave nothing behind).
    # ``tf_keys`` are sorted column-major (`Segment.build`), so the columns in use are where
    # the column changes: one pass, no sort of the millions of keys.
    cols = seg.tf_keys // seg.n if seg.n else seg.tf_keys
    ranker.tfidf_.forget_unused(cols[np.append(True, cols[1:] != cols[:-1])] if len(cols)
                                else cols)
    for name in SEGMENT_ARRAYS:
        np.save(path / f"{name}.npy", np.ascontiguousarray(getattr(seg, name)))
    np.save(path / "idf.npy", np.asarray(ranker.tfidf_.idf, dtype=np.float64))
    meta = {
        "format": FORMAT_VERSION,
        "params": {
            "weights": ranker.weights_.as_dict(),
            "cell_deg": seg.cell,
            "compact_at": ranker.compact_at,
            "n_jobs": ranker.n_jobs,
        },
        "columns": ranker.tfidf_.columns,
        "kind_labels": ranker.kind_labels_,
        "lang_tags": ranker.lang_tags_,
        "town_labels": ranker.town_labels_,
        "taxonomy": ranker.taxonomy_.to_dict(),
    }
    with open(path / "meta.json", "w", encoding="utf-8") as fh:
        json.dump(meta, fh, ensure_ascii=False)
    return path


def holds_any(path: str | Path, ids) -> bool:
    """Whether the index saved in ``path`` holds any of these partner ids (alive or not)."""
    file = Path(path) / "ids.npy"
    if not file.exists():
        return False
    saved = np.load(file, mmap_mode="r")
    return bool(np.isin(saved, np.asarray(list(ids), dtype=np.int64)).any())


def load(cls, path: str | Path, mmap: bool = True, weights=None):
    """A ``cls`` (Ranker) fitted from an index written by `save`.

    ``weights`` (a partial mapping) are the weights the loaded ranker scores with; without
    them it keeps those it was saved with.
    """
    path = Path(path)
    with open(path / "meta.json", encoding="utf-8") as fh:
        meta = json.load(fh)
    if meta.get("format") != FORMAT_VERSION:
        raise ValueError(f"unsupported ranking index format: {meta.get('format')!r}")
    params = meta["params"]
    taxonomy = Taxonomy.from_dict(meta["taxonomy"])
    used = params["weights"] if weights is None else weights
    ranker = cls(weights=used, taxonomy=taxonomy, cell_deg=params["cell_deg"],
                 compact_at=params["compact_at"], n_jobs=params["n_jobs"])
    mode = "r" if mmap else None
    # Plain ndarray views of the maps: indexing a np.memmap subclass costs several times
    # more per call, and a query makes hundreds of small ones.
    arrays = {name: np.asarray(np.load(path / f"{name}.npy", mmap_mode=mode))
              for name in SEGMENT_ARRAYS}
    arrays["flags"] = np.array(arrays["flags"])  # removals write to it
    ranker.weights_ = resolve_weights(used)
    ranker.taxonomy_ = taxonomy
    ranker.analyser_ = TextAnalyser(taxonomy)
    ranker.tfidf_ = TfidfIndex(ranker.analyser_)
    ranker.tfidf_.restore(meta["columns"], np.load(path / "idf.npy"))
    ranker.kind_labels_ = list(meta["kind_labels"])
    ranker.lang_tags_ = list(meta["lang_tags"])
    ranker.town_labels_ = list(meta["town_labels"])
    ranker._reset_caches()
    ranker.main_ = Segment(arrays, float(params["cell_deg"]))
    ranker.delta_ = None
    ranker.homes_ = None
    return ranker
