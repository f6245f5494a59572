"""Sphinx configuration for skae's documentation site.

Build (from the repository root, after ``pip install ".[docs]"``)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

No network is used: no intersphinx inventories are fetched.
"""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import skae  # noqa: E402

project = "skae"
author = "the skae developers"
copyright = "2026, the skae developers"
release = skae.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "examples", "**/README.rst"]
autosummary_generate = True
autodoc_default_options = {"members": True}
# numpydoc's own member tables would need a stub page per method; the class
# template lists the methods through autodoc instead.
numpydoc_show_class_members = False
numpydoc_xref_param_type = False

html_theme = "alabaster"
html_theme_options = {
    "description": "Autoencoders as scikit-learn estimators",
    "fixed_sidebar": True,
}
html_static_path = []

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "within_subsection_order": "FileNameSortKey",
}


def _skip_metadata_request_methods(app, what, name, obj, skip, options):
    # set_fit_request & co. come from scikit-learn (sample_weight routing);
    # their docstrings link into scikit-learn's own glossary.
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return skip


def setup(app):
    app.connect("autodoc-skip-member", _skip_metadata_request_methods)
