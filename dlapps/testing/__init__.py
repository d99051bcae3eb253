"""Test helpers shared by the recipe contract test and each recipe's tests.

Example:

```python
from dlapps import testing

def test_my_recipe(tmp_path):
    recipe, val = testing.train_for_test("my_recipe", tmp_path / "run")
    testing.run_serialization_test(recipe)
    testing.run_export_test(recipe, tmp_path / "export")
```
"""

from dlapps.testing.recipe_checks import (
    run_cli_explain_test,
    run_evaluate_test,
    run_explain_test,
    run_export_test,
    run_light_import_test,
    run_metadata_test,
    run_mixed_precision_test,
    run_predict_test,
    run_run_folder_test,
    run_serialization_test,
    train_for_test,
)

__all__ = [
    "run_cli_explain_test",
    "run_evaluate_test",
    "run_explain_test",
    "run_export_test",
    "run_light_import_test",
    "run_metadata_test",
    "run_mixed_precision_test",
    "run_predict_test",
    "run_run_folder_test",
    "run_serialization_test",
    "train_for_test",
]
