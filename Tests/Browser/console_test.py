#!/usr/bin/env python3
"""The web console in a real browser (headless Chromium through Selenium), against
`hookline demo --keep-running`: sign in, the events list and its filters, an event's page,
dead letters, targets (pause and resume through the confirmation), alerts; no Content-Security-
Policy violation in the browser's log; and the same pages with JavaScript off (forms post and
redirect). With --screenshots DIR it saves a PNG of each page there (docs/screenshots).

Run from the repository root after `swift build`: python3 Tests/Browser/console_test.py
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait


def start_demo(binary):
    process = subprocess.Popen(
        [binary, "demo", "--keep-running"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    )
    url = token = None
    deadline = time.time() + 180
    lines = []
    while time.time() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        found = re.search(r"The console: (http://127\.0\.0\.1:\d+)/login", line)
        if found:
            url = found.group(1)
        if url and re.match(r"\s+hlc_[0-9a-f]+\s*$", line):
            token = line.strip()
            break
    if not (url and token):
        process.kill()
        sys.exit("the demo did not print the console's address and token:\n" + "".join(lines))
    return process, url, token


def browser(javascript=True):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def row(driver, target):
    return driver.find_element(By.XPATH, "//tr[td/a[text()='%s']]" % target)


def wait_for_row(driver, target, text):
    """Waits for the targets page's row of `target` to show `text`; while the page is being
    replaced, an element may be gone from one moment to the next."""
    WebDriverWait(driver, 10, ignored_exceptions=(StaleElementReferenceException, WebDriverException)).until(
        lambda d: text in row(d, target).text)


def submit(driver, target, button, accept_confirmation):
    """Presses `button` in `target`'s row, accepts the confirmation when there is one, waits for
    the page the form's redirect brings, and returns."""
    old = row(driver, target)
    old.find_element(By.XPATH, ".//button[text()='%s']" % button).click()
    if accept_confirmation:
        WebDriverWait(driver, 5).until(expected_conditions.alert_is_present()).accept()
    WebDriverWait(driver, 10).until(lambda d: is_stale(old))


def is_stale(element):
    """Whether `element` belongs to a page that has been replaced. Chromium reports such a node
    either as stale or, mid-navigation, as one that "does not belong to the document" (a CI run
    failed on the second form, which `staleness_of` does not count as stale)."""
    try:
        element.is_enabled()
        return False
    except StaleElementReferenceException:
        return True
    except WebDriverException as error:
        if "does not belong to the document" in str(error):
            return True
        raise


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def sign_in(driver, url, token):
    driver.get(url + "/events")
    check(driver.current_url.endswith("/login"), "signed out, a page sends to /login: " + driver.current_url)
    driver.find_element(By.NAME, "token").send_keys(token)
    driver.find_element(By.CSS_SELECTOR, "form.login button").click()
    WebDriverWait(driver, 10).until(expected_conditions.url_contains("/events"))


def shot(driver, directory, name):
    if directory:
        driver.save_screenshot(os.path.join(directory, name + ".png"))


def with_javascript(url, token, screenshots):
    driver = browser()
    try:
        driver.get(url + "/login")
        shot(driver, screenshots, "login")
        sign_in(driver, url, token)
        rows = driver.find_elements(By.CSS_SELECTOR, "table.events tbody tr")
        check(len(rows) >= 10, "the demo's events are listed: %d rows" % len(rows))
        check("applied" in driver.page_source, "targets' states are shown")
        shot(driver, screenshots, "events")

        # A filter is in the URL, and stays in the form.
        driver.find_element(By.NAME, "source").send_keys("standard")
        driver.find_element(By.CSS_SELECTOR, "form.filters button").click()
        WebDriverWait(driver, 10).until(expected_conditions.url_contains("source=standard"))
        sources = {row.find_elements(By.TAG_NAME, "td")[2].text for row in driver.find_elements(By.CSS_SELECTOR, "table.events tbody tr")}
        check(sources == {"standard"}, "filtered to one source: %s" % sources)
        check(driver.find_element(By.NAME, "source").get_attribute("value") == "standard", "the filter stays in the form")

        # An event's page: its attempts and its payload.
        driver.find_element(By.CSS_SELECTOR, "table.events tbody tr td a").click()
        WebDriverWait(driver, 10).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "table.timeline")))
        check("Attempts" in driver.page_source and "Payload" in driver.page_source, "the event's page has its attempts and payload")
        shot(driver, screenshots, "event")

        driver.get(url + "/dead-letters")
        check(driver.find_element(By.TAG_NAME, "h1").text == "Dead letters", "the dead letters page")
        shot(driver, screenshots, "dead-letters")

        # Pause a target through the confirmation, then resume it.
        driver.get(url + "/targets")
        shot(driver, screenshots, "targets")
        driver.find_element(By.XPATH, "//tr[td/a[text()='omnichannel']]//button[text()='Pause']").click()
        alert = WebDriverWait(driver, 5).until(expected_conditions.alert_is_present())
        check("Pause omnichannel?" in alert.text, "the script asks first: " + alert.text)
        alert.dismiss()
        check("paused by" not in driver.find_element(By.XPATH, "//tr[td/a[text()='omnichannel']]").text, "dismissed: nothing paused")
        submit(driver, "omnichannel", "Pause", accept_confirmation=True)
        wait_for_row(driver, "omnichannel", "paused by console:demo")
        shot(driver, screenshots, "targets-paused")
        submit(driver, "omnichannel", "Resume", accept_confirmation=True)
        wait_for_row(driver, "omnichannel", "running")

        driver.get(url + "/alerts")
        check(driver.find_element(By.TAG_NAME, "h1").text == "Alerts", "the alerts page")
        shot(driver, screenshots, "alerts")

        violations = [entry["message"] for entry in driver.get_log("browser") if "Content Security Policy" in entry["message"]]
        check(not violations, "no Content-Security-Policy violation: %s" % violations)
    finally:
        driver.quit()


def without_javascript(url, token):
    driver = browser(javascript=False)
    try:
        sign_in(driver, url, token)
        driver.get(url + "/targets")
        # No script: the form posts at once and the page comes back with the target paused.
        submit(driver, "plannr", "Pause", accept_confirmation=False)
        wait_for_row(driver, "plannr", "paused by console:demo")
        submit(driver, "plannr", "Resume", accept_confirmation=False)
        wait_for_row(driver, "plannr", "running")
        # Signed out, the session no longer works.
        driver.find_element(By.CSS_SELECTOR, "header form button").click()
        driver.get(url + "/targets")
        check(driver.current_url.endswith("/login"), "signed out")
    finally:
        driver.quit()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/debug/hookline")
    parser.add_argument("--screenshots")
    arguments = parser.parse_args()
    if arguments.screenshots:
        os.makedirs(arguments.screenshots, exist_ok=True)
    process, url, token = start_demo(arguments.binary)
    try:
        with_javascript(url, token, arguments.screenshots)
        without_javascript(url, token)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    print("browser: the console works in Chromium, with and without JavaScript")


if __name__ == "__main__":
    main()
