"""A deterministic run-to-failure simulator in the NASA C-MAPSS layout.

Each unit (an engine) starts with its own initial wear and degrades along
an exponential curve of its own steepness until its health index reaches
failure. Every cycle is flown at one of six operating conditions, which move
most sensors far more than wear does; one of two fault modes decides which
sensors wear shows in. Some sensors only follow the operating condition, one
is pure noise, and each unit has its own small sensor offsets, so neither a
constant guess nor raw last readings predict the remaining life.
"""

import numpy as np

DESIGN_SEED = 2008
SETTING_NAMES = ("setting1", "setting2", "setting3")
SENSOR_NAMES = tuple(f"s{i}" for i in range(1, 22))
# Altitude (kft), Mach number and throttle resolver angle of the six
# operating conditions of C-MAPSS FD002 / FD004.
CONDITIONS = np.array(
    [
        [0.0, 0.0, 100.0],
        [10.0, 0.25, 100.0],
        [20.0, 0.70, 100.0],
        [25.0, 0.62, 60.0],
        [35.0, 0.84, 100.0],
        [42.0, 0.84, 100.0],
    ]
)
# Sensors that follow the operating condition only (C-MAPSS s1, s5, s10,
# s16, s18, s19 behave so); they carry no wear and no noise.
CONDITION_ONLY = (0, 4, 9, 15, 17, 18)
# Vibration-like sensors (s6, s14, s17): their average never moves, but once a
# fault has started, some 50 to 110 cycles before failure, their cycle-to-
# cycle scatter grows until failure, as bearing and rub faults show in
# vibration long before they show in averages.
VIBRATION = (5, 13, 16)
# How strongly wear moves each sensor, in units of its noise, for the two
# fault modes (high-pressure compressor, fan); the sign is the direction.
WEAR_HPC = {1: 2.5, 2: 2.5, 3: 3.0, 6: -2.5, 7: 1.5, 8: 1.0, 10: 3.0, 11: -2.5, 12: 1.5,
            14: 2.5, 19: -2.0, 20: -2.0}  # fmt: skip
WEAR_FAN = {1: 1.5, 2: 1.5, 3: 2.0, 6: -1.0, 7: 3.0, 8: -1.5, 10: 1.5, 11: -1.0, 12: 3.0,
            14: 3.0, 19: -1.0, 20: -1.5}  # fmt: skip


def engine_design():
    """The engine type every simulated unit is one of: each sensor's level
    in each operating condition, and its noise. Fixed, so fleets simulated
    with different seeds are different units of the same kind of engine."""
    rng = np.random.default_rng(DESIGN_SEED)
    sensors = len(SENSOR_NAMES)
    levels = (
        rng.uniform(50, 2000, sensors)
        * (1 + 0.3 * rng.standard_normal((len(CONDITIONS), 1)))
        * (1 + 0.05 * rng.standard_normal((len(CONDITIONS), sensors)))
    )
    noise = np.abs(levels).mean(axis=0) * rng.uniform(0.001, 0.004, sensors)
    noise[list(CONDITION_ONLY)] = 0.0
    return levels, noise


def simulate_fleet(units, seed, conditions=6, first_unit=1):
    """Simulates `units` engines from new to failure.

    Args:
        units: how many engines.
        seed: the random seed of the units (their lives, wear, fault modes,
            conditions flown and noise); the same seed gives the same fleet.
        conditions: how many of the six operating conditions are flown
            (1 gives a single-condition fleet like C-MAPSS FD001).
        first_unit: the id of the first engine.

    Returns:
        A float64 array of rows `unit cycle setting1 setting2 setting3
        s1 ... s21`, in the C-MAPSS column order, sorted by unit and cycle.
    """
    if not 1 <= conditions <= len(CONDITIONS):
        raise ValueError(
            f"conditions must be in [1, {len(CONDITIONS)}]. Received: conditions={conditions}"
        )
    levels, noise = engine_design()
    rng = np.random.default_rng(seed)
    sensors = len(SENSOR_NAMES)
    rows = []
    for index in range(units):
        life = int(np.clip(120 + rng.gamma(3.0, 30.0), 128, 420))
        initial_wear = rng.uniform(0.0, 0.1)
        steepness = rng.uniform(4.0, 5.0)
        wear_map = WEAR_HPC if rng.random() < 0.5 else WEAR_FAN
        gains = np.zeros(sensors)
        for sensor, gain in wear_map.items():
            gains[sensor] = 1.5 * gain * rng.uniform(0.8, 1.2)
        offsets = 0.2 * noise * rng.standard_normal(sensors)
        cycles = np.arange(1, life + 1)
        progress = (np.exp(steepness * cycles / life) - 1) / (np.exp(steepness) - 1)
        wear = initial_wear + (1 - initial_wear) * progress
        flown = rng.integers(0, conditions, life)
        settings = CONDITIONS[flown] + rng.normal(0, [0.002, 0.0002, 0.0], (life, 3))
        onset = life - rng.uniform(100, 150)
        fault = np.clip((cycles - onset) / (life - onset), 0, None)
        scatter = np.ones((life, sensors))
        scatter[:, list(VIBRATION)] += 4.0 * fault[:, None] ** 1.3
        readings = (
            levels[flown]
            + offsets
            + np.outer(wear, gains * noise)
            + scatter * noise * rng.standard_normal((life, sensors))
        )
        unit = np.full(life, first_unit + index)
        rows.append(np.column_stack([unit, cycles, settings, readings]))
    return np.concatenate(rows)


def truncate_fleet(rows, seed, min_cycles=31):
    """Cuts each unit's run short at a random cycle, as the C-MAPSS test
    files do; returns `(rows, true_rul)` with the true remaining life of
    each unit after its last cycle."""
    rng = np.random.default_rng(seed)
    kept, remaining = [], []
    for unit in np.unique(rows[:, 0]):
        run = rows[rows[:, 0] == unit]
        cut = int(rng.integers(min(min_cycles, len(run) - 1), len(run)))
        kept.append(run[:cut])
        remaining.append(len(run) - cut)
    return np.concatenate(kept), np.array(remaining)


def format_cmapss(rows):
    """The text of a C-MAPSS file: space-separated, no header, a trailing
    space on each line as in the published files."""
    lines = []
    for row in rows:
        fields = [str(int(row[0])), str(int(row[1]))]
        fields += [f"{value:.4f}" for value in row[2:]]
        lines.append(" ".join(fields) + " ")
    return "\n".join(lines) + "\n"
