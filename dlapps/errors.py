"""User-facing errors.

Every error a user can cause (a bad name, override, path or file) derives from
`DlappsError`. The CLI prints such errors as one line on stderr and exits
non-zero; anything else is a bug and keeps its traceback.
"""


class DlappsError(Exception):
    """Base class of the errors a user can cause and fix."""


class UnknownRecipeError(DlappsError, LookupError):
    """No recipe is registered under the requested name."""


class DuplicateRecipeError(DlappsError, ValueError):
    """Two recipes claim the same name."""


class RecipeImportError(DlappsError, ImportError):
    """A recipe plugin raised while it was imported."""


class ConfigError(DlappsError, ValueError):
    """An override names an unknown hyperparameter or has the wrong type."""


class DataError(DlappsError, ValueError):
    """A data source is missing, unreadable or in the wrong format."""


class RunFolderError(DlappsError, ValueError):
    """A run folder is missing, incomplete or would be overwritten."""


class ExportError(DlappsError, ValueError):
    """An export target exists already, or the export failed verification."""
