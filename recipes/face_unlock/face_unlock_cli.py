"""`dlapps enroll` and `dlapps verify`: the face_unlock commands.

Importing this module must stay light (click only): `dlapps` builds its
command list from every recipe's commands.
"""

import json
from pathlib import Path

import click

from dlapps.errors import DataError, RunFolderError

REJECTED = 3
GALLERY_HELP = "The gallery file of enrolled templates (JSON); created if missing."


def _open(run_dir, gallery):
    import dlapps
    from dlapps.recipes.face_unlock.face_unlock_gallery import Gallery

    recipe = dlapps.load_run(run_dir)
    if recipe.name != "face_unlock":
        raise RunFolderError(f"{run_dir} holds a '{recipe.name}' run, not a face_unlock run")
    return recipe, Gallery(gallery, recipe.model_fingerprint())


@click.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.argument("name")
@click.argument("images", nargs=-1, required=True)
@click.option("--gallery", type=click.Path(path_type=Path), required=True, help=GALLERY_HELP)
def enroll(run_dir, name, images, gallery):
    """Enroll person NAME from face IMAGES into the gallery, with the model of RUN_DIR.

    The template (the mean embedding of the images) is stored under NAME in
    the gallery, replacing an earlier one.
    """
    recipe, faces = _open(run_dir, gallery)
    pictures = recipe.parse_inputs(images)
    template = recipe.enroll(name, pictures)
    # How well each enrollment image matches the template: one below the
    # equal-error threshold looks more like someone else than like the rest.
    scores = [recipe.verify(template, picture)[0] for picture in pictures]
    suspect = recipe.calibration.get("eer_threshold", recipe.threshold)
    faces.add(template)
    faces.save()
    click.echo(
        json.dumps(
            {
                "enrolled": name,
                "images": template.images,
                "scores": [round(s, 4) for s in scores],
                "threshold": round(recipe.threshold, 4),
                "gallery": str(gallery),
            }
        )
    )
    for path, score in zip(images, scores, strict=True):
        if score < suspect:
            click.echo(
                f"dlapps: warning: {path} looks more like someone else than like the other "
                f"images of '{name}' (score {score:.3f} < {suspect:.3f}, the equal-error "
                "threshold); check the photo",
                err=True,
            )


@click.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.argument("name")
@click.argument("image")
@click.option("--gallery", type=click.Path(path_type=Path), required=True, help=GALLERY_HELP)
def verify(run_dir, name, image, gallery):
    """Verify that face IMAGE is person NAME of the gallery.

    Prints the score and the decision at the run's calibrated threshold;
    exits with 0 when unlocked and 3 when rejected (1 is a user error).
    """
    if not Path(gallery).expanduser().exists():
        raise DataError(f"Gallery not found: {gallery}; enroll someone first")
    recipe, faces = _open(run_dir, gallery)
    score, unlocked = recipe.verify(faces.get(name), recipe.parse_inputs([image])[0])
    click.echo(
        json.dumps(
            {
                "name": name,
                "image": image,
                "score": round(score, 4),
                "threshold": round(recipe.threshold, 4),
                "unlocked": unlocked,
            }
        )
    )
    click.get_current_context().exit(0 if unlocked else REJECTED)
