"""The monitor's advice for a node the Webapp cannot connect to (issue 16 trial): error 1014 "connection to HOST:PORT
failed" came from a DOCKER-USER rule on the Webapp host; "restart it" sent the operator to the wrong fix."""

from wabiz_tui.tui.widgets.node_detail import NodeRow, next_action


def row(reason: str) -> NodeRow:
    return NodeRow("wa-core-1", "315642fe1972", "coreapp", "coreapp", "?", "connected or disconnected",
                   "error 1014 Internal error", "failure", reason)


def test_a_node_the_webapp_cannot_connect_to_sends_to_doctor_before_a_restart():
    advice = next_action(row("error 1014 Internal error: connection to wa-core-1:6250 failed: Connection refused. "
                             "Please check if wacore is running"))
    assert advice.startswith("run doctor (d) first") and "blocked port or path" in advice


def test_other_failures_keep_their_advice():
    assert next_action(row("error 1013 Some other error")).startswith("read its logs (l)")
