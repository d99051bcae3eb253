from dlapps.recipes.image_compression.image_compression_recipe import (
    ImageCompression,
    ImageCompressionConfig,
)

__all__ = ["ImageCompression", "ImageCompressionConfig"]
