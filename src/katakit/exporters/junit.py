"""JUnit XML, the format CI systems render: one ``<testsuite>`` per kata, one ``<testcase>`` per
graded test, with the learner-facing message as the failure text."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from katakit.results import Report

_FAILURE_TAG = {
    "failed": "failure",
    "timeout": "failure",
    "missing": "error",
    "error": "error",
    "crashed": "error",
}


def junit_xml(report: Report) -> str:
    suites = ET.Element("testsuites", name=f"katakit ({report.target})")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for kata in report.katas:
        suite = ET.SubElement(suites, "testsuite", name=kata.id)
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for test in kata.tests:
            case = ET.SubElement(
                suite, "testcase", classname=kata.id.replace("/", "."), name=test.name
            )
            counts["tests"] += 1
            if test.outcome == "skipped":
                ET.SubElement(case, "skipped", message=test.message or "skipped")
                counts["skipped"] += 1
            elif test.outcome != "passed":
                tag = _FAILURE_TAG[test.outcome]
                first_line = test.message.strip().splitlines()[0] if test.message.strip() else ""
                element = ET.SubElement(case, tag, message=first_line, type=test.outcome)
                element.text = test.message
                counts["failures" if tag == "failure" else "errors"] += 1
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("score", f"{kata.score}/{kata.max_score}")
    for key, value in totals.items():
        suites.set(key, str(value))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True)
