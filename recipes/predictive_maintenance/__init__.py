from dlapps.recipes.predictive_maintenance.predictive_maintenance_recipe import (
    PredictiveMaintenance,
    PredictiveMaintenanceConfig,
)

__all__ = ["PredictiveMaintenance", "PredictiveMaintenanceConfig"]
