#!/bin/sh
# Start the node for this container's role (the role comes from the environment, see wanode/__main__.py).
lib="$(cd "$(dirname "$0")/../lib" && pwd)"
PYTHONPATH="$lib${PYTHONPATH:+:$PYTHONPATH}" exec python3 -u -m wanode "$@"
