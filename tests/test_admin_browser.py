"""The admin in a real browser: headless Chromium logs in, finds a record, corrects it.

Needs Debian's ``chromium`` and ``chromium-driver`` (``scripts/setup --dev`` installs
them, so CI runs this); skipped with the reason when they are missing. Leaves a
screenshot of the record list in ``test-artifacts/``.
"""

import shutil
import tempfile

import pytest
from django.contrib.auth.models import User
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from ocr_record.models import OcrRecord

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = [
    pytest.mark.skipif(
        not (CHROMIUM and CHROMEDRIVER),
        reason="needs Debian's chromium and chromium-driver packages "
        "(apt-get install chromium chromium-driver, or scripts/setup --dev)",
    ),
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "correct horse battery staple"  # a throwaway test user


@pytest.fixture
def browser():
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1600,1000",
    ]:
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(driver, css: str):
    return WebDriverWait(driver, 30).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css))
    )


def images_shown(driver, css: str) -> list[bool]:
    """Whether each matching <img> has loaded and decoded (a broken image has width 0)."""
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script(
            "return [...document.querySelectorAll(arguments[0])].every(i => i.complete)", css
        )
    )
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map(i => i.naturalWidth > 0)", css
    )


def test_a_reviewer_finds_a_low_confidence_record_sees_it_and_corrects_it(
    browser, live_server, record_of, post_image, artifact_path
):
    reviewer = User.objects.create_superuser("reviewer", "reviewer@example.com", PASSWORD)
    sure, _ = record_of("Kp")
    doubtful, doubtful_data = record_of("Hello")
    OcrRecord.objects.filter(pk=doubtful.pk).update(confidence=31.0)
    OcrRecord.objects.filter(pk=sure.pk).update(confidence=96.0)

    # Log in; the admin sends us on to the record list.
    browser.get(f"{live_server.url}/admin/login/?next=/admin/ocr_record/ocrrecord/")
    browser.find_element(By.ID, "id_username").send_keys("reviewer")
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_for(browser, "#result_list")

    assert images_shown(browser, "img.ocr-thumb") == [True, True]
    screenshot = artifact_path("admin-record-list.png")
    assert browser.save_screenshot(str(screenshot))
    print(f"screenshot of the admin record list: {screenshot}")

    # Low confidence first: the filter keeps only the doubtful record.
    browser.find_element(By.LINK_TEXT, "below 50").click()
    wait_for(browser, "#result_list")
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert len(rows) == 1
    assert doubtful.image_md5 in rows[0].text

    # Open it: the image is shown large beside the letters.
    rows[0].find_element(By.CSS_SELECTOR, "th.field-id a").click()
    letters = wait_for(browser, "input[name=letters]")
    assert images_shown(browser, "img.ocr-large") == [True]
    assert letters.get_attribute("value") == "Hello"
    browser.save_screenshot(str(artifact_path("admin-record-detail.png")))

    # A digit is refused and nothing is saved.
    letters.clear()
    letters.send_keys("He1lo")
    browser.find_element(By.NAME, "_save").click()
    error = wait_for(browser, ".errorlist")
    assert "Only the letters A-Z and a-z" in error.text
    doubtful.refresh_from_db()
    assert doubtful.reviewed_at is None

    # The correction is saved and marks the record reviewed by this reviewer.
    letters = browser.find_element(By.NAME, "letters")
    letters.clear()
    letters.send_keys("HeIIo")
    browser.find_element(By.NAME, "_save").click()
    wait_for(browser, ".messagelist .success")
    browser.save_screenshot(str(artifact_path("admin-record-saved.png")))

    doubtful.refresh_from_db()
    assert doubtful.content == ["H", "e", "I", "I", "o"]
    assert doubtful.engine_content == ["H", "e", "l", "l", "o"]
    assert doubtful.reviewed_by == reviewer
    assert doubtful.reviewed_at is not None
    # From now on the API answers the same image with the correction.
    assert post_image(doubtful_data).json() == {"content": ["H", "e", "I", "I", "o"]}
