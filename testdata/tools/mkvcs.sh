#!/usr/bin/env bash
# Make DIR a one-commit git repository holding copies of the given source
# directories (each as DIR/<basename>), with fixed identity and dates, so the
# vcs.* build settings and the revision hash are the same on every rebuild.
#   mkvcs.sh DIR SRC...
set -euo pipefail
dir=$1
shift
rm -rf "$dir"
mkdir -p "$dir"
for s in "$@"; do
    cp -R "$s" "$dir/$(basename "$s")"
done
chmod -R u+rw,go+r,a-x+X "$dir"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME="$dir/.."
export GIT_AUTHOR_NAME="Fixture Author" GIT_AUTHOR_EMAIL="author@example.com"
export GIT_COMMITTER_NAME="Fixture Committer" GIT_COMMITTER_EMAIL="committer@example.com"
export GIT_AUTHOR_DATE="2024-05-06T07:08:09+00:00" GIT_COMMITTER_DATE="2024-05-06T07:08:09+00:00"
git -C "$dir" init -q -b main
git -C "$dir" add -A
git -C "$dir" commit -q -m "fixture commit"
git -C "$dir" log -1 --format='%H %cI'
