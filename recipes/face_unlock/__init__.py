from dlapps.recipes.face_unlock.face_unlock_recipe import FaceUnlock, FaceUnlockConfig

__all__ = ["FaceUnlock", "FaceUnlockConfig"]
