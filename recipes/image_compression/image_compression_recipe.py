"""Learned image compression: an autoencoder with a learned entropy model
whose files, written by a real range coder, beat JPEG at the same size."""

import dataclasses
import time
from typing import Literal

import dlapps


@dataclasses.dataclass
class ImageCompressionConfig(dlapps.RecipeConfig):
    """Hyperparameters of the learned codec.

    Args:
        preset: `"factorized"` (Ballé et al. 2017: a learned density per
            latent channel) or `"hyperprior"` (Ballé et al. 2018: side
            information predicts each latent's scale).
        lmbda: the rate-distortion trade-off: the loss is
            `lmbda * distortion + bits per pixel`; larger values give better
            quality and larger files.
        distortion: `"mse"` (in pixel levels squared; optimizes PSNR) or
            `"ms_ssim"` (`1 - MS-SSIM`; use a lmbda around 100x larger).
        filters: width of the transforms' hidden layers.
        latent_channels: channels of the latents that are coded.
        patch_size: side of the square training patches, a multiple of 16.
        patches_per_image: random patches drawn from each training image
            per epoch.
        images: synthetic training images.
        image_size: side of the synthetic images.
        validation_images: synthetic held-out images.
        validation_fraction: share of a folder's images held out.
    """

    learning_rate: float = 1e-3
    batch_size: int = 8
    epochs: int = 40
    preset: Literal["factorized", "hyperprior"] = "factorized"
    lmbda: float = 0.01
    distortion: Literal["mse", "ms_ssim"] = "mse"
    filters: int = 64
    latent_channels: int = 96
    patch_size: int = 128
    patches_per_image: int = 4
    images: int = 256
    image_size: int = 256
    validation_images: int = 8
    validation_fraction: float = 0.1

    def validate(self):
        super().validate()
        require = dlapps.config.require
        require(self.lmbda > 0, "lmbda", self.lmbda, "must be > 0")
        require(self.filters >= 1, "filters", self.filters, "must be >= 1")
        require(self.latent_channels >= 1, "latent_channels", self.latent_channels,
                "must be >= 1")  # fmt: skip
        require(self.patch_size >= 16 and self.patch_size % 16 == 0, "patch_size",
                self.patch_size, "must be a positive multiple of 16")  # fmt: skip
        require(self.patches_per_image >= 1, "patches_per_image", self.patches_per_image,
                "must be >= 1")  # fmt: skip
        require(self.images >= 1, "images", self.images, "must be >= 1")
        require(self.image_size >= 16, "image_size", self.image_size, "must be >= 16")
        require(self.validation_images >= 1, "validation_images", self.validation_images,
                "must be >= 1")  # fmt: skip
        require(0 < self.validation_fraction < 1, "validation_fraction",
                self.validation_fraction, "must be in (0, 1)")  # fmt: skip


class ImageCompression(dlapps.Recipe):
    """A learned image codec: a convolutional analysis transform with GDN
    turns an image into latents, which are rounded and written with a range
    coder driven by a learned entropy model; a synthesis transform with
    inverse GDN restores the image. Training minimizes
    `lmbda * distortion + rate`, with uniform noise standing in for rounding.

    Example:

    ```python
    recipe = dlapps.load_recipe("image_compression", lmbda=0.01)
    train, val = recipe.load_data("~/product_photos")
    recipe.fit(train, val, run_dir="runs/codec")
    print(recipe.evaluate(val))           # bpp, PSNR, MS-SSIM, and JPEG at the same bpp
    data = recipe.codec.compress(image)   # the bytes of a .dlc file
    ```
    """

    name = "image_compression"
    task = "lossy image compression"
    summary = "A learned image codec (GDN autoencoder + entropy model) that writes real files"
    config_class = ImageCompressionConfig
    metric_names = (
        "bpp",
        "psnr",
        "ms_ssim",
        "jpeg_psnr",
        "jpeg_ms_ssim",
        "psnr_gain_over_jpeg",
        "encode_seconds",
        "decode_seconds",
    )
    explain_methods = ("bits_map",)
    head_layers = ("synthesis",)
    tflite_signatures = ()
    data_help = (
        "a folder of images (PNG, JPEG, BMP, TIFF, WebP; any size; RGB or grayscale), "
        "searched recursively; each file is held out or not by a hash of its path and the seed. Or "
        "tfds:NAME of an image set with an 'image' feature, such as clic"
    )
    input_help = "image files (PNG, JPEG, ...)"
    intended_use = (
        "Storing or sending images of one kind (product photos, scans, satellite tiles) in "
        "fewer bytes than JPEG at the same quality, with a decoder that has the trained model."
    )
    limitations = (
        "A file decodes only with the model that wrote it (the header carries the model's "
        "id). Trained on one kind of image, it may do worse than JPEG on others: the "
        "synthetic default's codec was 1 to 4.6 dB worse than JPEG on photographs. Quality is "
        "tuned for PSNR (or MS-SSIM), not for how sharp details look. The synthetic default "
        "is a stand-in for photographs; train on your own images before use."
    )
    smoke_overrides = {
        "epochs": 1,
        "images": 8,
        "image_size": 64,
        "validation_images": 2,
        "patch_size": 32,
        "patches_per_image": 1,
        "batch_size": 4,
        "filters": 8,
        "latent_channels": 8,
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._codec = None

    def build_model(self):
        from dlapps.recipes.image_compression.image_compression_model import build_codec_model

        return build_codec_model(self.config, seed=self.config.seed)

    def compile_arguments(self):
        from dlapps.recipes.image_compression.image_compression_layers import (
            MultiScaleSSIMLoss,
            Rate,
        )

        if self.config.distortion == "ms_ssim":
            distortion = MultiScaleSSIMLoss(self.config.patch_size)
        else:
            distortion = "mse"
        return {
            "loss": {"reconstruction": distortion, "bpp": Rate()},
            "loss_weights": {"reconstruction": self.config.lmbda, "bpp": 1.0},
        }

    def make_optimizer(self, learning_rate=None):
        """Adam with gradients clipped to norm 1 (GDN transforms diverge
        without it at this rate) and the learning rate decayed along a
        cosine to 5% over all training steps."""
        if learning_rate is None:
            learning_rate = self.cosine_decay(alpha=0.05)
        return super().make_optimizer(learning_rate, clipnorm=1.0)

    def custom_objects(self):
        import keras

        from dlapps.recipes.image_compression import image_compression_layers as layers

        classes = (layers.PadToMultiple, layers.CropToImage, layers.BitsPerPixel, layers.Rate,
                   layers.MultiScaleSSIMLoss)  # fmt: skip
        return {keras.saving.get_registered_name(c): c for c in classes}

    # Data.

    def load_synthetic(self):
        from dlapps.recipes.image_compression.image_compression_data import synthetic_data

        return synthetic_data(self.config)

    def load_path(self, path):
        from dlapps.recipes.image_compression.image_compression_data import folder_data

        return folder_data(path, self.config)

    def load_tfds(self, dataset_name):
        from dlapps.recipes.image_compression.image_compression_data import tfds_data

        return tfds_data(dataset_name, self.config)

    def parse_inputs(self, inputs):
        """Image files to a list of uint8 arrays, grayscale kept as one channel."""
        from dlapps.recipes.image_compression.image_compression_data import read_image

        return [read_image(path, keep_grayscale=True) for path in inputs]

    def example_inputs(self):
        from dlapps.recipes.image_compression.image_compression_data import (
            synthetic_validation_images,
        )

        return synthetic_validation_images(self.config)[:2]

    def example_cli_inputs(self, folder):
        from PIL import Image

        paths = []
        for index, image in enumerate(self.example_inputs()):
            path = folder / f"image_{index}.png"
            Image.fromarray(image).save(path)
            paths.append(str(path))
        return paths

    # The codec.

    @property
    def codec(self):
        """The `Codec` of the trained model: `compress(image)` to `.dlc`
        bytes, `decompress(data)` back."""
        from dlapps.recipes.image_compression.image_compression_codec import Codec

        self._require_model()
        if self._codec is None or self._codec.model is not self.model:
            self._codec = Codec(self.model)
        return self._codec

    def round_trip(self, image):
        """Compresses and restores one uint8 image; returns
        `(file_bytes, restored, encode_seconds, decode_seconds)`."""
        codec = self.codec
        start = time.perf_counter()
        data = codec.compress(image)
        middle = time.perf_counter()
        restored = codec.decompress(data)
        return data, restored, middle - start, time.perf_counter() - middle

    def evaluate(self, data, verbose=0):
        """The codec's figures on whole images, from real files: `bpp`
        (every byte of the file, header included), `psnr` (RGB), `ms_ssim`,
        and JPEG's PSNR and MS-SSIM at the same bpp on the same images, with
        the mean encode and decode times; averaged over images."""
        from dlapps.recipes.image_compression.image_compression_metrics import (
            image_figures,
        )

        self._require_model()
        rows = []
        for images, _ in data:
            for image in images.numpy():
                rows.append(image_figures(self.round_trip, image))
        if not rows:
            raise dlapps.errors.DataError("evaluate() received no images")
        metrics = {key: float(sum(row[key] for row in rows) / len(rows)) for key in rows[0]}
        metrics["images"] = float(len(rows))
        return metrics

    def predict(self, inputs):
        """For each image: the size of its `.dlc` file, its bpp and quality."""
        from dlapps.recipes.image_compression.image_compression_metrics import (
            bits_per_pixel,
            psnr,
        )

        results = []
        for image in inputs:
            data, restored, encode, decode = self.round_trip(image)
            results.append(
                {
                    "bytes": len(data),
                    "bpp": round(bits_per_pixel(len(data), image), 4),
                    "psnr": round(psnr(image, restored), 3),
                    "encode_seconds": round(encode, 4),
                    "decode_seconds": round(decode, 4),
                }
            )
        return results

    # Explanation and export.

    def explain(self, inputs, method=None, target=None, sanity_check=False, **options):
        """The bits map: where the entropy model spends bits, beside the
        original, the reconstruction and its error."""
        import numpy as np

        from dlapps.recipes.image_compression.image_compression_explain import explain_bits

        self._require_model()
        method = method or self.explain_methods[0]
        if method not in self.explain_methods:
            raise dlapps.errors.ConfigError(
                f"Unknown explanation method for {self.name}; expected one of "
                f"{', '.join(self.explain_methods)}. Received: method={method!r}"
            )
        images = [np.asarray(image) for image in inputs]
        images = [np.repeat(i, 3, axis=-1) if i.shape[-1] == 1 else i for i in images]
        if len({i.shape for i in images}) > 1:
            raise dlapps.errors.ConfigError(
                "The bits map explains images of one size together; explain images of "
                f"different sizes one at a time. Received: sizes "
                f"{sorted({i.shape[:2] for i in images})}"
            )
        return explain_bits(self.model, np.stack(images), sanity_check=sanity_check)

    def serving_signatures(self):
        """`serving_default`: uint8 image batches -> reconstruction and
        estimated bpp; `encode`: one uint8 image `(height, width, 1 or 3)`
        -> quantized latents and the image shape; `decode`: latents and
        shape -> the uint8 RGB image; with the hyperprior, `encode` also
        gives `hyper_latents` and `decode_scales` turns them into the
        latents' scale indexes."""
        import tensorflow as tf

        from dlapps.recipes.image_compression.image_compression_codec import codec_functions

        model = self.model
        functions = codec_functions(model)
        channels = self.config.latent_channels

        def reconstruct(image):
            return model(image, training=False)

        signatures = {
            "serving_default": (
                reconstruct,
                [tf.TensorSpec((None, None, None, 3), tf.uint8, name="image")],
            ),
            "encode": (
                functions["encode"],
                [tf.TensorSpec((None, None, None), tf.uint8, name="image")],
            ),
            "decode": (
                functions["decode"],
                [
                    tf.TensorSpec((None, None, channels), tf.int32, name="latents"),
                    tf.TensorSpec((2,), tf.int32, name="shape"),
                ],
            ),
        }
        if "decode_scales" in functions:
            signatures["decode_scales"] = (
                functions["decode_scales"],
                [tf.TensorSpec((None, None, self.config.filters), tf.int32, name="hyper_latents")],
            )
        return signatures

    def signature_examples(self):
        images = self.example_inputs()
        functions = self.serving_signatures()
        encoded = functions["encode"][0](images[0])
        examples = {
            "serving_default": images,
            "encode": images[0],
            "decode": (encoded["latents"], encoded["shape"]),
        }
        if "decode_scales" in functions:
            examples["decode_scales"] = encoded["hyper_latents"]
        return examples

    @classmethod
    def cli_commands(cls):
        from dlapps.recipes.image_compression.image_compression_cli import (
            compress,
            decompress,
            rd_curve,
        )

        return (compress, decompress, rd_curve)
