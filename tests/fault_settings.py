"""Test settings for a real server whose engine hangs on one marked image."""

from ocr_project.settings_test import *  # noqa: F403

OCR_RECOGNISER = "tests.fault_engines.block_on_marker_width"
