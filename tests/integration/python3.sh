# Sourced by lib.sh and run.sh: use_real_python3 DIR puts a python3 first on PATH that runs the
# real interpreter with -S. Why: python3 behind a version manager's shim (pyenv's is a bash script
# running `pyenv exec`, several processes and ~0.3 s a call) slows every helper and every timed
# check that runs one; and site's start-up (site-packages' .pth files: on this VM one imports
# certifi, ~55 ms) doubles the rest: 100 ms -> 42 ms a call here. The test helpers import only
# the standard library and their own modules (next to the script), which -S keeps.
use_real_python3() { # DIR: where the wrapper goes
    local real
    [ -x "$1/python3" ] && case ":$PATH:" in *":$1:"*) return 0 ;; esac
    real=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || return 0
    [ -n "$real" ] && [ -x "$real" ] || return 0
    mkdir -p "$1" && printf '#!/bin/sh\nexec "%s" -S "$@"\n' "$real" >"$1/python3" && chmod +x "$1/python3" && PATH="$1:$PATH"
}
