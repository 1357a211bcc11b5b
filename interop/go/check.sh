#!/bin/sh
# Runs every Go interop check, once per pinned golang.ngrok.com/muxado/v2
# version: go.mod links v2.0.2, go.v2.0.1.mod links v2.0.1 (both link the 2016
# github.com/inconshreveable/muxado).
#
#   ./check.sh                 vectors from ../../vectors/frames
#   ./check.sh DIR_OR_FILE...  other vector files
#
# Every go command runs with -mod=readonly, so a missing or stale go.sum entry
# is an error instead of a silent rewrite. Modules the cache lacks are
# downloaded through the Go module proxy and checked against go.sum.
# Exits 1 if any step fails; all steps run either way.

set -u
cd "$(dirname "$0")" || exit 2

if [ "$#" -eq 0 ]; then
	set -- ../../vectors/frames
fi

failed=""

# The peer and agent binaries built by the "go build" steps go here and are removed at
# the end.
bindir=$(mktemp -d) || exit 2
trap 'rm -rf "$bindir"' EXIT

step() {
	name=$1
	shift
	printf '\n==== %s\n+ %s\n' "$name" "$*"
	if "$@"; then
		printf -- '---- ok: %s\n' "$name"
	else
		printf -- '---- FAILED: %s\n' "$name"
		failed="$failed
  $name"
	fi
}

gofmt_clean() {
	out=$(gofmt -l .) || return 1
	if [ -n "$out" ]; then
		printf 'not gofmt-formatted:\n%s\n' "$out"
		return 1
	fi
}

step "gofmt" gofmt_clean

# `go mod tidy -diff` exists from Go 1.23 on.
minor=$(go env GOVERSION | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
if [ -n "$minor" ] && [ "$minor" -ge 23 ]; then
	tidy_diff=yes
else
	tidy_diff=no
	printf '\n(go mod tidy -diff needs Go 1.23 or later: skipped)\n'
fi

for modfile in go.mod go.v2.0.1.mod; do
	case $modfile in
	go.mod) label="ngrok v2.0.2" version=v2.0.2 ;;
	*) label="ngrok v2.0.1" version=v2.0.1 ;;
	esac
	mf="-modfile=$modfile"
	if [ "$tidy_diff" = yes ]; then
		step "$label: go.mod and go.sum tidy" go mod tidy -diff "$mf"
	fi
	step "$label: go mod verify" go mod verify "$mf"
	step "$label: go vet" go vet -mod=readonly "$mf" ./...
	step "$label: go test" go test -mod=readonly "$mf" -count=1 ./...
	step "$label: go build cmd/peer" go build -mod=readonly "$mf" -o "$bindir/peer-$version" ./cmd/peer
	step "$label: go build cmd/agent" go build -mod=readonly "$mf" -o "$bindir/agent-$version" ./cmd/agent
	step "$label: framecheck" go run -mod=readonly "$mf" ./cmd/framecheck "$@"
done

if [ -n "$failed" ]; then
	printf '\n==== FAILED steps:%s\n' "$failed"
	exit 1
fi
printf '\n==== all Go interop checks passed\n'
