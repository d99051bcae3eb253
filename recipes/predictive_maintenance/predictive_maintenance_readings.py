"""Reading fleets of sensor readings: NASA C-MAPSS text files and CSV files
with a header, checked line by line, with missing readings filled in."""

import csv
import dataclasses
import warnings
from pathlib import Path

import numpy as np

import dlapps
from dlapps.recipes.predictive_maintenance.predictive_maintenance_synthesis import (
    SENSOR_NAMES,
    SETTING_NAMES,
)

CMAPSS_COLUMNS = ("unit", "cycle", *SETTING_NAMES, *SENSOR_NAMES)
MISSING = {"", "nan", "na", "n/a", "null", "none", "?"}


@dataclasses.dataclass
class Fleet:
    """Readings of several units, one row per unit and time step, sorted by
    unit (in order of first appearance) and time.

    Args:
        source: where the readings come from, for messages.
        unit_ids: the id of each unit as written in the file.
        unit_index: per row, the index of its unit in `unit_ids`.
        time: per row, the cycle or time stamp.
        values: per row, the settings then the sensors, `float32`; missing
            readings are NaN until `fill_missing`.
        setting_names / sensor_names: the column names of `values`.
    """

    source: str
    unit_ids: list
    unit_index: np.ndarray
    time: np.ndarray
    values: np.ndarray
    setting_names: tuple
    sensor_names: tuple

    @property
    def names(self):
        return (*self.setting_names, *self.sensor_names)

    def runs(self):
        """`(unit_id, start, stop)` of each unit's rows."""
        starts = np.flatnonzero(np.diff(self.unit_index, prepend=-1))
        stops = np.append(starts[1:], len(self.unit_index))
        return [
            (self.unit_ids[self.unit_index[a]], int(a), int(b))
            for a, b in zip(starts, stops, strict=True)
        ]

    def only(self, unit_ids):
        """The fleet of the given units."""
        wanted = {self.unit_ids.index(u) for u in unit_ids}
        rows = np.isin(self.unit_index, sorted(wanted))
        kept = sorted(wanted)
        return dataclasses.replace(
            self,
            unit_ids=[self.unit_ids[i] for i in kept],
            unit_index=np.searchsorted(kept, self.unit_index[rows]).astype("int32"),
            time=self.time[rows],
            values=self.values[rows],
        )


def fleet_from_rows(rows, source="synthetic"):
    """A `Fleet` from a C-MAPSS-layout array (`unit cycle settings sensors`)."""
    units = rows[:, 0].astype("int64")
    ids, index = np.unique(units, return_index=False, return_inverse=True)
    return Fleet(
        source=source,
        unit_ids=[int(u) for u in ids],
        unit_index=index.astype("int32"),
        time=rows[:, 1].astype("float64"),
        values=rows[:, 2:].astype("float32"),
        setting_names=SETTING_NAMES,
        sensor_names=SENSOR_NAMES,
    )


def read_fleet(path, unit_column="unit", time_column="cycle", setting_columns="auto"):
    """Reads a C-MAPSS text file (any suffix but `.csv`) or a CSV file with a
    header, checks it and fills its missing readings.

    Args:
        path: the file.
        unit_column / time_column: the CSV columns of the unit id and the time.
        setting_columns: comma-separated CSV columns of operating settings;
            `"auto"` takes the columns whose names start with `setting` or
            `op_setting`, `""` none.

    Raises:
        DataError: naming the file (and the line) of what is wrong.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise dlapps.errors.DataError(f"Readings file not found: {path}")
    if path.stat().st_size == 0:
        raise dlapps.errors.DataError(f"{path} is empty: it holds no readings")
    if path.suffix.lower() == ".csv":
        fleet = _read_csv(path, unit_column, time_column, setting_columns)
    else:
        fleet = _read_cmapss(path)
    fill_missing(fleet)
    return fleet


def _read_cmapss(path):
    layout = (
        f"{len(CMAPSS_COLUMNS)} space-separated columns "
        "(unit cycle setting1-3 s1-s21, the C-MAPSS layout)"
    )
    records = list(_spaced_records(path, len(CMAPSS_COLUMNS), layout))
    return _assemble(path, records, CMAPSS_COLUMNS, SETTING_NAMES, SENSOR_NAMES)


def _spaced_records(path, columns, layout):
    """`(line number, fields)` of each non-blank line of a space-separated
    file, each checked to have `columns` fields (`layout` says which)."""
    with open(path, encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != columns:
                raise dlapps.errors.DataError(
                    f"{path}, line {number}: expected {layout}, found {len(fields)} columns"
                )
            yield number, fields


def _read_csv(path, unit_column, time_column, setting_columns):
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise dlapps.errors.DataError(f"{path}, line 1: expected a header of column names")
        header = [name.strip() for name in header]
        records = []
        for fields in reader:
            if not any(field.strip() for field in fields):
                continue
            if len(fields) != len(header):
                raise dlapps.errors.DataError(
                    f"{path}, line {reader.line_num}: expected {len(header)} comma-separated "
                    f"columns as in the header, found {len(fields)}"
                )
            records.append((reader.line_num, fields))
    for role, name in (("unit_column", unit_column), ("time_column", time_column)):
        if name not in header:
            raise dlapps.errors.DataError(
                f"{path}, line 1: no column {name!r} for {role}; set it with "
                f"--set {role}=NAME. Columns: {', '.join(header)}"
            )
    if setting_columns == "auto":
        settings = [h for h in header if h.lower().startswith(("setting", "op_setting"))]
    else:
        settings = [s.strip() for s in setting_columns.split(",") if s.strip()]
    unknown = [s for s in settings if s not in header]
    if unknown:
        raise dlapps.errors.DataError(
            f"{path}, line 1: no setting column {', '.join(map(repr, unknown))}. "
            f"Columns: {', '.join(header)}"
        )
    sensors = [h for h in header if h not in {unit_column, time_column, *settings}]
    if not sensors:
        raise dlapps.errors.DataError(f"{path}, line 1: no sensor columns besides unit and time")
    order = [header.index(name) for name in (unit_column, time_column, *settings, *sensors)]
    records = [(number, [fields[i] for i in order]) for number, fields in records]
    names = (unit_column, time_column, *settings, *sensors)
    return _assemble(path, records, names, tuple(settings), tuple(sensors))


def _assemble(path, records, names, setting_names, sensor_names):
    """Parses the numbers of `records` (`(line, fields)` in `names` order),
    sorts the rows by unit and time, and rejects repeated time steps."""
    if not records:
        raise dlapps.errors.DataError(f"{path} holds no readings, only empty lines or a header")
    values = np.empty((len(records), len(names) - 2), "float32")
    time = np.empty(len(records), "float64")
    unit_ids, unit_index, lines = {}, np.empty(len(records), "int32"), np.empty(len(records), int)
    for row, (number, fields) in enumerate(records):
        unit = fields[0].strip()
        if unit.lower() in MISSING:
            raise dlapps.errors.DataError(f"{path}, line {number}: the unit id is missing")
        unit_index[row] = unit_ids.setdefault(unit, len(unit_ids))
        time[row] = _number(fields[1], path, number, names[1], missing_ok=False)
        for column, field in enumerate(fields[2:]):
            values[row, column] = _number(field, path, number, names[column + 2])
        lines[row] = number
    order = np.lexsort((time, unit_index))
    unit_index, time, values, lines = unit_index[order], time[order], values[order], lines[order]
    repeated = np.flatnonzero((np.diff(unit_index) == 0) & (np.diff(time) == 0))
    if len(repeated):
        first, second = sorted(lines[repeated[0] : repeated[0] + 2])
        raise dlapps.errors.DataError(
            f"{path}, line {second}: {names[1]} {time[repeated[0]]:g} of unit "
            f"{list(unit_ids)[unit_index[repeated[0]]]} repeats line {first}"
        )
    ids = [int(u) if u.lstrip("-").isdigit() else u for u in unit_ids]
    return Fleet(str(path), ids, unit_index, time, values, setting_names, sensor_names)


def _number(field, path, line, column, missing_ok=True):
    text = field.strip()
    if text.lower() in MISSING:
        if missing_ok:
            return np.nan
        raise dlapps.errors.DataError(f"{path}, line {line}, column {column}: the value is missing")
    try:
        return float(text)
    except ValueError:
        raise dlapps.errors.DataError(
            f"{path}, line {line}, column {column}: not a number: {text!r}"
        ) from None


def fill_missing(fleet):
    """Fills each missing reading with the unit's previous reading of that
    column (its next one at the start of a run) and warns how many were
    filled; a column a unit never reports stays NaN, which the model's
    normalization reads as the condition's average."""
    missing = np.isnan(fleet.values)
    if not missing.any():
        return fleet
    counts = missing.sum(axis=0)
    for _, start, stop in fleet.runs():
        block = fleet.values[start:stop]
        for column in np.flatnonzero(np.isnan(block).any(axis=0)):
            series = block[:, column]
            known = np.flatnonzero(~np.isnan(series))
            if len(known) == 0:
                continue
            previous = np.maximum.accumulate(np.where(np.isnan(series), 0, np.arange(len(series))))
            filled = series[previous]
            filled[: known[0]] = series[known[0]]
            block[:, column] = filled
    detail = ", ".join(f"{fleet.names[c]} ({counts[c]})" for c in np.flatnonzero(counts))
    warnings.warn(
        f"{fleet.source}: filled {int(counts.sum())} missing readings from the same unit's "
        f"previous reading: {detail}",
        stacklevel=2,
    )
    return fleet


def read_rul_file(path, units):
    """The true remaining life of each test unit: one number per line, in the
    order of the units of the test file."""
    path = Path(path)
    values = [
        _number(fields[0], path, number, "RUL", missing_ok=False)
        for number, fields in _spaced_records(path, 1, "one number (a unit's true RUL)")
    ]
    if len(values) != units:
        raise dlapps.errors.DataError(
            f"{path} gives {len(values)} true RUL values for a test file of {units} units"
        )
    return np.array(values, "float32")
