"""Keras layers shared by recipes, each registered under the package "dlapps"."""

from dlapps.layers.cifg_lstm_cell import CIFGLSTMCell
from dlapps.layers.entropy_bottleneck import EntropyBottleneck
from dlapps.layers.gaussian_conditional import GaussianConditional
from dlapps.layers.gdn import GDN
from dlapps.layers.last_token import LastToken
from dlapps.layers.spec_augment import SpecAugment
from dlapps.layers.word_tokenizer import WordTokenizer

__all__ = [
    "CIFGLSTMCell",
    "EntropyBottleneck",
    "GaussianConditional",
    "GDN",
    "LastToken",
    "SpecAugment",
    "WordTokenizer",
]
