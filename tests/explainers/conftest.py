"""Trained models of every layout, shared by the explanation tests."""

import explained_models as models
import pytest


@pytest.fixture(scope="session")
def shape_classifier():
    return models.train_shape_classifier()


@pytest.fixture(scope="session")
def next_word_model():
    return models.train_next_word_model()


@pytest.fixture(scope="session")
def wear_model():
    return models.train_wear_model()


@pytest.fixture(scope="session")
def tone_classifier():
    return models.train_tone_classifier()


@pytest.fixture(scope="session")
def autoencoder():
    return models.train_autoencoder()
