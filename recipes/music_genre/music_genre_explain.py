"""Explanations of whole tracks, which may differ in length."""

import numpy as np

import dlapps


def explain_tracks(recipe, tracks, method=None, target=None, sanity_check=False, **options):
    """Explains each track's genre over its whole log-mel spectrogram.

    Tracks of one length are explained as one batch. Otherwise each is
    explained on its own and the results are padded to the longest track
    (silence in the spectrogram, zero attribution); `extras["frames"]` keeps
    each track's own length, so the figure shows only real frames. The
    combined sanity check is the least favourable of the tracks'.

    Args:
        tracks: a `(batch, samples)` array or a list of 1-D waveforms.
    """
    lengths = {len(track) for track in tracks}
    if len(lengths) == 1:
        batch = np.stack([np.asarray(t, "float32") for t in tracks])
        return dlapps.explain(recipe, batch, method, target, sanity_check, **options)
    parts = [
        dlapps.explain(
            recipe, np.asarray(track, "float32")[None], method, target, sanity_check, **options
        )
        for track in tracks
    ]
    frames = [part.inputs.shape[1] for part in parts]
    longest = max(frames)

    def padded(arrays, value):
        widths = [[(0, 0), (0, longest - a.shape[1])] + [(0, 0)] * (a.ndim - 2) for a in arrays]
        return np.concatenate(
            [np.pad(a, w, constant_values=value) for a, w in zip(arrays, widths, strict=True)]
        )

    inputs = padded([part.inputs for part in parts], min(float(p.inputs.min()) for p in parts))
    checks = [part.sanity for part in parts if part.sanity is not None]
    applicable = [check for check in checks if check.applicable]
    sanity = max(applicable, key=lambda c: c.rank_correlation) if applicable else None
    return dlapps.Explanation(
        method=parts[0].method,
        kind=parts[0].kind,
        inputs=inputs,
        attributions=padded([part.attributions for part in parts], 0.0),
        predictions=np.concatenate([part.predictions for part in parts]),
        target=parts[0].target,
        labels=[label for part in parts for label in part.labels],
        extras={**parts[0].extras, **_merged_completeness(parts), "frames": frames},
        sanity=sanity or (checks[0] if checks else None),
    )


def _merged_completeness(parts):
    """Integrated Gradients' per-input completeness lists, over all parts."""
    checks = [part.extras.get("completeness") for part in parts]
    if not all(checks):
        return {}
    merged = {key: [] for key, value in checks[0].items() if isinstance(value, list)}
    for check in checks:
        for key in merged:
            merged[key] += check[key]
    return {"completeness": {**checks[0], **merged, "passed": all(c["passed"] for c in checks)}}
