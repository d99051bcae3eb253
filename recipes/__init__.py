"""dlapps' built-in recipes, shipped as the `dlapps.recipes` package.

Each recipe registers through the `dlapps.recipes` entry-point group in
setup.cfg, exactly as a third-party plugin does.
"""
